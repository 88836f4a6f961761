/**
 * Calendar dates, dates of birth and clock times. compromise tags date phrases ("December 18", "the
 * fifth of May", "12/25/2024"); only those naming a day are `date` — a month, a weekday or a year
 * alone is upstream's `date_interval`, so "in May" or "May I help" stay. A date with "born" or
 * "birth" near it is a `date_of_birth`.
 */
import { hasContext } from './context.js';
import type { Finding } from './policies.js';
import { matches, spansOf, type Analysed, type Recogniser } from './recogniser.js';

const MONTH =
  /\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\b/i;
const DAY =
  /(?<![\d,.])(0?[1-9]|[12]\d|3[01])(st|nd|rd|th)?(?![\d:])|\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)\b/i;
const NUMERIC_DATE =
  /(?<![\d/.-])(?:(0?[1-9]|1[0-2])[/.-](0?[1-9]|[12]\d|3[01])[/.-](\d{4}|\d{2})|(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))(?![\d/-]|\.\d)/g;
const BIRTH_CONTEXT = ['born', 'birth', 'birthday', 'dob', 'birthdate', 'd.o.b'];

/** Clock times: "10:30", "10:30:15 pm", "9 am", "9 a.m.", with an optional zone. */
const TIME =
  /(?<![\d:])(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?[ap](?:\.m\.|m\b))?|(?:1[0-2]|0?[1-9])\s?[ap](?:\.m\.|m\b))(?:\s(?:[ECMP][SD]T|UTC|GMT)\b)?/gi;

export const temporalRecogniser: Recogniser = {
  policies: ['date', 'date_of_birth', 'time'],
  find({ text, doc }: Analysed): Finding[] {
    const dates: { start: number; end: number }[] = [];
    for (const s of spansOf(doc.match('#Date+'), text)) {
      const phrase = text.slice(s.start, s.end).replace(/\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?[ap]\.?m\b/gi, '');
      if (MONTH.test(phrase) && DAY.test(phrase.replace(MONTH, ''))) dates.push(s);
    }
    for (const m of matches(text, NUMERIC_DATE)) dates.push({ start: m.index, end: m.index + m[0].length });
    const out: Finding[] = dates.map((s) =>
      hasContext(text, s.start, s.end, BIRTH_CONTEXT) ? { type: 'date_of_birth', ...s, score: 0.85 } : { type: 'date', ...s, score: 0.7 },
    );
    // A birth date is also a date: a request for `date` alone must still see it.
    for (const f of [...out]) if (f.type === 'date_of_birth') out.push({ ...f, type: 'date', score: 0.7 });
    for (const m of matches(text, TIME)) out.push({ type: 'time', start: m.index, end: m.index + m[0].length, score: 0.7 });
    return out;
  },
};
