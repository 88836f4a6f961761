/**
 * PII detection on a synthetic corpus the benchmark generates (seeded, so every run reads the same
 * text): sentences with known PII of each type in several written formats, spoken-digit phone numbers
 * and spoken e-mail addresses as an engine gives them, and near misses that hold none. Precision and recall per type, the cost of
 * redaction per hour of transcript, and the time to make redacted audio per minute of audio.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { redactAudio } from '../src/audio/redact.js';
import type { TranscriptWord } from '../src/transcript/types.js';
import { detectPii } from '../src/understanding/pii/index.js';
import { DETECTED_POLICIES, type PiiPolicy } from '../src/understanding/pii/policies.js';
import { redactWords } from '../src/understanding/pii/redact.js';
import { findPiiInWords } from '../src/understanding/pii/words.js';
import { luhnValid } from '../src/understanding/pii/financial.js';
import { failed, metric, type BenchContext, type Measurement, type Metric, type MetricSpec } from './measures.js';

const run = promisify(execFile);

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  text: string;
  truth: { type: PiiPolicy; start: number; end: number }[];
}

const FIRST = [
  'John',
  'Mary',
  'James',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'Sarah',
  'Thomas',
  'Karen',
  'Daniel',
  'Nancy',
];
const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Miller',
  'Davis',
  'Wilson',
  'Anderson',
  'Taylor',
  'Moore',
  'Martin',
  'Thompson',
  'Clark',
];
const CITIES = ['Boston', 'Chicago', 'Seattle', 'Denver', 'London', 'Paris', 'Berlin', 'Toronto', 'Dallas', 'Atlanta', 'Madrid', 'Tokyo'];
const ORGS = [
  'Microsoft',
  'Google',
  'Amazon',
  'the New York Times',
  'Walmart',
  'IBM',
  'Acme Corp',
  'General Motors',
  'Harvard University',
  'the United Nations',
];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const AREAS = ['212', '310', '415', '617', '202', '312', '206', '512', '305', '404'];
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function corpus(n: number, seed = 7): Sample[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const luhnComplete = (body: string) => [...'0123456789'].map((d) => body + d).find(luhnValid)!;
  const group = (s: string, sizes: number[], sep: string) => {
    const out: string[] = [];
    let i = 0;
    for (const g of sizes) out.push(s.slice(i, (i += g)));
    return out.join(sep);
  };
  const makers: Record<string, () => [string, PiiPolicy | null, string]> = {
    phone: () => {
      const [a, b, c] = [pick(AREAS), String(int(201, 989)).replace(/^(\d)11$/, '$122'), digits(4)];
      const form = pick([`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `${a}${b}${c}`, `${a} ${b} ${c}`]);
      return [pick(['You can call me at ', 'My phone number is ', 'Reach me on ', 'Text me at ']), 'phone_number', form];
    },
    card: () => {
      const kind = pick(['visa', 'mc', 'amex']);
      const num =
        kind === 'amex'
          ? luhnComplete(pick(['34', '37']) + digits(12))
          : kind === 'visa'
            ? luhnComplete(`4${digits(14)}`)
            : luhnComplete(`5${int(1, 5)}${digits(13)}`);
      const sep = pick([' ', '-', '']);
      const form = kind === 'amex' ? group(num, [4, 6, 5], sep) : group(num, [4, 4, 4, 4], sep);
      return [pick(['My card number is ', 'Charge it to ', 'The credit card is ']), 'credit_card_number', form];
    },
    ssn: () => {
      let area = int(1, 899);
      if (area === 666) area = 667;
      const ssn = `${String(area).padStart(3, '0')}${String(int(1, 99)).padStart(2, '0')}${String(int(1, 9999)).padStart(4, '0')}`;
      const form = pick([group(ssn, [3, 2, 4], '-'), group(ssn, [3, 2, 4], ' '), ssn]);
      return [pick(['My social security number is ', 'SSN ', 'The SSN on file is ']), 'us_social_security_number', form];
    },
    email: () => [
      pick(['Email me at ', 'Send it to ', 'My address is ']),
      'email_address',
      `${pick(FIRST).toLowerCase()}.${pick(LAST).toLowerCase()}${int(1, 99)}@${pick(['gmail.com', 'example.org', 'mail.co.uk', 'acme.io'])}`,
    ],
    date: () => {
      const m = pick(MONTHS);
      const d = int(1, 28);
      const form = pick([
        `${m} ${d}, ${int(1950, 2024)}`,
        `${m} ${d}`,
        `the ${d}${d === 1 ? 'st' : d === 2 ? 'nd' : d === 3 ? 'rd' : 'th'} of ${m}`,
        `${int(1, 12)}/${d}/${int(2000, 2030)}`,
      ]);
      return [pick(['The appointment is on ', 'We met on ', 'It is due on ']), 'date', form];
    },
    money: () => [
      pick(['It costs ', 'I paid ', 'The fee is ']),
      'money_amount',
      pick([`$${int(1, 999)}.${digits(2)}`, `${int(2, 500)} dollars`, `${int(2, 90)} euros`, `€${int(2, 900)}`, `${int(2, 50)} pesos`]),
    ],
    iban: () => {
      const bban = `WEST${digits(14)}`;
      const num = BigInt(`${[...bban].map((ch) => (ch >= 'A' ? ch.charCodeAt(0) - 55 : ch)).join('')}161100`);
      const check = String(98n - (num % 97n)).padStart(2, '0');
      return ['Wire it to IBAN ', 'banking_information', group(`GB${check}${bban}`, [4, 4, 4, 4, 4, 2], ' ')];
    },
    name: () => [pick(['My name is ', 'Please ask for ', 'I spoke with ']), 'person_name', `${pick(FIRST)} ${pick(LAST)}`],
    city: () => [pick(['I live in ', 'She moved to ', 'The office is in ']), 'location', pick(CITIES)],
    org: () => [pick(['I work for ', 'The contract is with ', 'He joined ']), 'organization', pick(ORGS)],
    // Near misses: nothing here is PII of a detected type.
    miss: () => {
      const body = `4${digits(14)}`;
      const bad = body + [...'0123456789'].find((d) => !luhnValid(body + d))!;
      return [
        pick([
          `My order number is ${group(bad, [4, 4, 4, 4], ' ')}`,
          'See you in May',
          'May I help you',
          `We had ${int(20, 900)} people`,
          `Version ${int(1, 9)}.${int(0, 9)} is out`,
          `Chapter ${int(2, 40)}, page ${int(2, 300)}`,
          `Order ${digits(8)} shipped`,
          `Room ${int(100, 999)} on floor ${int(2, 9)}`,
        ]),
        null,
        '',
      ];
    },
  };
  const kinds = Object.keys(makers);
  return Array.from({ length: n }, (_, i) => {
    const [prefix, type, value] = makers[kinds[i % kinds.length]!]!();
    const text = `${prefix}${value}.`;
    return { text, truth: type ? [{ type, start: prefix.length, end: prefix.length + value.length }] : [] };
  });
}

/** Spoken phone numbers as words, as pocketsphinx and the formatter leave them ("four one five …"). */
function spokenPhones(n: number, seed = 11): { words: TranscriptWord[]; first: number; last: number }[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const number = `${AREAS[Math.floor(r() * AREAS.length)]}${200 + Math.floor(r() * 700)}${String(Math.floor(r() * 10000)).padStart(4, '0')}`;
    const text = ['my', 'number', 'is', ...[...number].map((d) => DIGIT_WORDS[Number(d)]!), 'thanks'];
    return {
      words: text.map((t, i) => ({ text: t, start: i * 400, end: i * 400 + 350, confidence: 0.9, speaker: null })),
      first: 3,
      last: 12,
    };
  });
}

/** E-mail addresses said aloud ("mary dot jones at gmail dot com"), as words. */
function spokenEmails(n: number, seed = 13): { words: TranscriptWord[]; first: number; last: number }[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const local = r() < 0.5 ? [pick(FIRST).toLowerCase()] : [pick(FIRST).toLowerCase(), 'dot', pick(LAST).toLowerCase()];
    const domain = pick([
      ['gmail', 'dot', 'com'],
      ['example', 'dot', 'org'],
      ['acme', 'dot', 'co', 'dot', 'uk'],
      ['mail', 'dot', 'net'],
    ]);
    const text = ['please', 'write', 'to', ...local, 'at', ...domain, 'today'];
    return {
      words: text.map((t, i) => ({ text: t, start: i * 400, end: i * 400 + 350, confidence: 0.9, speaker: null })),
      first: 3,
      last: text.length - 2,
    };
  });
}

const STRUCTURED: PiiPolicy[] = [
  'phone_number',
  'credit_card_number',
  'us_social_security_number',
  'email_address',
  'date',
  'money_amount',
  'banking_information',
];
const NER: PiiPolicy[] = ['person_name', 'location', 'organization'];
const spec = (id: string, name: string, unit: string, op: MetricSpec['op'], target: number): MetricSpec => ({ id, name, unit, op, target });
const RECALL = (t: PiiPolicy, target: number) => spec(`pii_recall_${t}`, `PII recall: ${t}`, '', '>=', target);
const PRECISION = spec('pii_precision', 'PII precision, all types (synthetic corpus)', '', '>=', 0.95);
const SPOKEN = spec('pii_recall_spoken_phone', 'PII recall: phone numbers said digit by digit', '', '>=', 0.95);
const SPOKEN_EMAIL = spec('pii_recall_spoken_email', 'PII recall: e-mail addresses said aloud', '', '>=', 0.95);
const COST = spec('pii_cost', 'PII redaction per hour of transcript (9,000 words, all policies)', 'ms', '<', 5000);
const AUDIO = spec('pii_audio', 'Redacted audio (MP3) per minute of audio', 'ms', '<', 3000);

export const pii: Measurement = {
  name: 'pii',
  metrics: [...STRUCTURED.map((t) => RECALL(t, 0.95)), ...NER.map((t) => RECALL(t, 0.8)), PRECISION, SPOKEN, SPOKEN_EMAIL, COST, AUDIO],
  async run(b: BenchContext): Promise<Metric[]> {
    const samples = corpus(1100);
    const found = new Map<PiiPolicy, { tp: number; fn: number; fp: number }>();
    const stat = (t: PiiPolicy) => found.get(t) ?? (found.set(t, { tp: 0, fn: 0, fp: 0 }), found.get(t)!);
    const misses: string[] = [];
    for (const s of samples) {
      const findings = detectPii(s.text, DETECTED_POLICIES);
      for (const t of s.truth) {
        const hit = findings.some((f) => f.type === t.type && f.start < t.end && t.start < f.end);
        stat(t.type)[hit ? 'tp' : 'fn']++;
        if (!hit && misses.length < 20) misses.push(`${t.type}: ${s.text}`);
      }
      for (const f of findings) {
        if (!s.truth.some((t) => t.type === f.type && f.start < t.end && t.start < f.end)) {
          stat(f.type).fp++;
          if (misses.length < 40) misses.push(`false ${f.type} "${s.text.slice(f.start, f.end)}": ${s.text}`);
        }
      }
    }
    const out: Metric[] = [];
    for (const t of [...STRUCTURED, ...NER]) {
      const st = stat(t);
      out.push(
        metric(RECALL(t, STRUCTURED.includes(t) ? 0.95 : 0.8), st.tp / Math.max(1, st.tp + st.fn), {
          ...st,
          precision: st.tp / Math.max(1, st.tp + st.fp),
        }),
      );
    }
    const all = [...found.values()].reduce((a, x) => ({ tp: a.tp + x.tp, fp: a.fp + x.fp }), { tp: 0, fp: 0 });
    out.push(metric(PRECISION, all.tp / Math.max(1, all.tp + all.fp), { ...all, samples: samples.length, examples: misses }));

    const spoken = spokenPhones(200);
    const hits = spoken.filter((s) =>
      findPiiInWords(s.words, new Set(['phone_number'])).some((f) => f.firstWord === s.first && f.lastWord === s.last),
    ).length;
    out.push(metric(SPOKEN, hits / spoken.length, { samples: spoken.length }));
    const emails = spokenEmails(200);
    const emailHits = emails.filter((s) =>
      findPiiInWords(s.words, new Set(['email_address'])).some((f) => f.firstWord === s.first && f.lastWord === s.last),
    ).length;
    out.push(metric(SPOKEN_EMAIL, emailHits / emails.length, { samples: emails.length }));

    // An hour of speech is about 9,000 words: the corpus's sentences as engine words, redacted with every policy.
    const words: TranscriptWord[] = [];
    for (let i = 0; words.length < 9000; i++) {
      for (const w of samples[i % samples.length]!.text.split(' '))
        words.push({ text: w, start: words.length * 400, end: words.length * 400 + 350, confidence: 0.9, speaker: null });
    }
    const hour = words.slice(0, 9000);
    const t0 = performance.now();
    redactWords(hour, DETECTED_POLICIES, 'hash');
    out.push(metric(COST, performance.now() - t0, { words: hour.length }));

    try {
      const wav = path.join(b.tmp, 'pii-minute.wav');
      await run('sox', ['-R', '-n', '-r', '16000', '-c', '1', '-b', '16', wav, 'synth', '60', 'sine', '300']);
      const spans = Array.from({ length: 30 }, (_, i) => ({ start: i * 2000, end: i * 2000 + 600 }));
      const t1 = performance.now();
      await redactAudio(wav, path.join(b.tmp, 'pii-minute.mp3'), { spans, method: 'beep', format: 'mp3' });
      out.push(metric(AUDIO, performance.now() - t1, { spans: spans.length }));
    } catch (err) {
      out.push(failed(AUDIO, err));
    }
    return out;
  },
};
