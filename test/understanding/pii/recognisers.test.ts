import { describe, expect, it } from 'vitest';
import { abaValid, ibanValid, luhnValid } from '../../../src/understanding/pii/financial.js';
import { ssnValid } from '../../../src/understanding/pii/identifiers.js';
import { detectPii } from '../../../src/understanding/pii/index.js';
import { DETECTED_POLICIES, PII_POLICIES, type PiiPolicy } from '../../../src/understanding/pii/policies.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

/** What each policy finds in `text`, as the matched strings. */
function found(text: string, policy: PiiPolicy): string[] {
  return detectPii(text, new Set([policy])).map((f) => text.slice(f.start, f.end));
}

/** Everything found with every policy on, as `type:text`. */
function all(text: string): string[] {
  return detectPii(text, DETECTED_POLICIES).map((f) => `${f.type}:${text.slice(f.start, f.end)}`);
}

describe('policy names', () => {
  it('are exactly upstream PiiPolicy enum, and the same as its EntityType enum', () => {
    const spec = parse(readFileSync(new URL('../../../../shared/reference/assemblyai/openapi.yml', import.meta.url), 'utf8'));
    expect([...PII_POLICIES]).toEqual(spec.components.schemas.PiiPolicy.enum);
    expect([...PII_POLICIES]).toEqual(spec.components.schemas.EntityType.enum);
    for (const p of DETECTED_POLICIES) expect(PII_POLICIES).toContain(p);
  });
});

describe('phone_number', () => {
  it('finds national, international and separator-free forms', () => {
    expect(found('Call (415) 555-2671 or +44 20 7946 0958 today', 'phone_number')).toEqual(['(415) 555-2671', '+44 20 7946 0958']);
    expect(found('my number is 4155552671.', 'phone_number')).toEqual(['4155552671']);
    expect(found('reach me on 415.555.2671', 'phone_number')).toEqual(['415.555.2671']);
  });
  it('takes a merely possible number only with a context word', () => {
    expect(found('my phone is 555 123 4567', 'phone_number')).toEqual(['555 123 4567']);
    expect(found('the total was 555 123 4567', 'phone_number')).toEqual([]);
  });
  it('leaves short numbers, years and order numbers', () => {
    expect(found('In 2019 we had 150 people and order 20240512 shipped', 'phone_number')).toEqual([]);
  });
});

describe('credit_card_number', () => {
  it('finds Luhn-valid numbers of known issuers, grouped or not', () => {
    expect(found('card 4111 1111 1111 1111 and 5500-0000-0000-0004 and 378282246310005', 'credit_card_number')).toEqual([
      '4111 1111 1111 1111',
      '5500-0000-0000-0004',
      '378282246310005',
    ]);
  });
  it('leaves a 16-digit number that fails Luhn, and a Luhn-valid one of no issuer', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(found('my order number is 4111 1111 1111 1112', 'credit_card_number')).toEqual([]);
    expect(luhnValid('0000000000000000')).toBe(true);
    expect(found('reference 0000 0000 0000 0000', 'credit_card_number')).toEqual([]);
  });
});

describe('credit_card_cvv and credit_card_expiration', () => {
  it('need their context words', () => {
    expect(found('the CVV is 080', 'credit_card_cvv')).toEqual(['080']);
    expect(found('security code 4821', 'credit_card_cvv')).toEqual(['4821']);
    expect(found('room 080 on floor 3', 'credit_card_cvv')).toEqual([]);
    expect(found('it expires 04/27', 'credit_card_expiration')).toEqual(['04/27']);
    expect(found('expiration date 11/2029', 'credit_card_expiration')).toEqual(['11/2029']);
    expect(found('the score was 04/27', 'credit_card_expiration')).toEqual([]);
  });
});

describe('banking_information', () => {
  it('finds IBANs that pass mod-97, and ABA routing numbers said with context', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(found('IBAN GB82 WEST 1234 5698 7654 32 please', 'banking_information')).toEqual(['GB82 WEST 1234 5698 7654 32']);
    expect(found('pay DE89370400440532013000', 'banking_information')).toEqual(['DE89370400440532013000']);
    expect(found('IBAN GB82 WEST 1234 5698 7654 33', 'banking_information')).toEqual([]);
    expect(abaValid('021000021')).toBe(true);
    expect(found('routing number 021000021', 'banking_information')).toEqual(['021000021']);
    expect(found('ticket 021000021', 'banking_information')).toEqual([]);
    expect(found('routing number 021000022', 'banking_information')).toEqual([]);
  });
});

describe('us_social_security_number', () => {
  it('finds formatted SSNs, and bare nine digits with context', () => {
    expect(found('SSN 219-09-9999, or 219 09 9999', 'us_social_security_number')).toEqual(['219-09-9999', '219 09 9999']);
    expect(found('my social security number is 219099999', 'us_social_security_number')).toEqual(['219099999']);
    expect(found('tracking 219099999', 'us_social_security_number')).toEqual([]);
  });
  it('leaves the ranges the SSA never issues', () => {
    for (const bad of ['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '111-11-1111']) {
      expect(ssnValid(bad.replace(/-/g, ''))).toBe(false);
      expect(found(`SSN ${bad}`, 'us_social_security_number')).toEqual([]);
    }
  });
});

describe('email_address, url, ip_address', () => {
  it('finds them', () => {
    expect(found('write to john.doe+x@mail.example.co.uk.', 'email_address')).toEqual(['john.doe+x@mail.example.co.uk']);
    expect(found('see https://www.assemblyai.com/docs, or example.org/page.', 'url')).toEqual([
      'https://www.assemblyai.com/docs',
      'example.org/page',
    ]);
    expect(found('hosts 192.168.0.1 and 2001:db8::8a2e:370:7334', 'ip_address')).toEqual(['192.168.0.1', '2001:db8::8a2e:370:7334']);
  });
  it('leaves look-alikes', () => {
    expect(found('version 3.5, e.g. this, at 10:30:00', 'url')).toEqual([]);
    expect(found('version 1.2.3.400 and 999.1.1.1 and 10:30:00', 'ip_address')).toEqual([]);
    expect(found('meet me @ noon', 'email_address')).toEqual([]);
  });
  it('an e-mail is not also a URL', () => {
    expect(all('mail bob@example.com now')).toEqual(['email_address:bob@example.com']);
  });
});

describe('person_name, location, organization (compromise)', () => {
  it('finds names, places and organisations, cased or not', () => {
    expect(all('My name is John Smith, I work at Microsoft in Seattle.')).toEqual([
      'person_name:John Smith',
      'organization:Microsoft',
      'location:Seattle',
    ]);
    expect(found('i spoke to sarah connor yesterday', 'person_name')).toEqual(['sarah connor']);
    expect(found('Dr. Kay Martinez called', 'person_name')).toEqual(['Dr. Kay Martinez']);
    expect(found('The SSN on file is 219-09-9999', 'organization')).toEqual([]);
    expect(found('I live at 145 Windsor St. now', 'location')).toEqual(['145 Windsor St']);
  });
  it('"May" the month or the verb is not a name', () => {
    expect(found('See you in May. May I help you?', 'person_name')).toEqual([]);
  });
});

describe('date, date_of_birth, time', () => {
  it('a date names a day; a month, weekday or year alone is not a date', () => {
    expect(found('It is due on 5/19/2028.', 'date')).toEqual(['5/19/2028']);
    expect(found('on December 18, on the fifth of May, on 12/25/2024 and 2024-01-05', 'date')).toEqual([
      'December 18',
      'fifth of May',
      '12/25/2024',
      '2024-01-05',
    ]);
    expect(found('See you in May, on Friday, in 2024.', 'date')).toEqual([]);
  });
  it('a date by "born" or "birth" is a date of birth, and still a date', () => {
    expect(found('Date of birth: March 7, 1961', 'date_of_birth')).toEqual(['March 7, 1961']);
    expect(found('I was born on may 5 1980', 'date_of_birth')).toEqual(['may 5 1980']);
    expect(found('I was born on may 5 1980', 'date')).toEqual(['may 5 1980']);
    expect(found('we met on March 7, 1961', 'date_of_birth')).toEqual([]);
  });
  it('clock times', () => {
    expect(found('at 10:30 pm. Or 9 a.m., or 19:37:28, or 7pm EST', 'time')).toEqual(['10:30 pm', '9 a.m.', '19:37:28', '7pm EST']);
    expect(found('chapter 9, 3 amps', 'time')).toEqual([]);
  });
});

describe('money_amount', () => {
  it('amounts in symbols and words, each of a list on its own', () => {
    expect(found('It costs $94.50, €20 or 15 pesos, about twenty dollars.', 'money_amount')).toEqual([
      '$94.50',
      '€20',
      '15 pesos',
      'twenty dollars',
    ]);
    expect(found('we had 15 people and 20 chairs', 'money_amount')).toEqual([]);
  });
});

describe('blood_type and zodiac_sign', () => {
  it('blood types need a blood word near', () => {
    expect(found('my blood type is AB positive', 'blood_type')).toEqual(['AB positive']);
    expect(found('she is O- blood', 'blood_type')).toEqual(['O-']);
    expect(found('I got an A+ in math', 'blood_type')).toEqual([]);
  });
  it('Cancer and Leo count only as signs', () => {
    expect(found("I'm an Aries and she is a Pisces", 'zodiac_sign')).toEqual(['Aries', 'Pisces']);
    expect(found('my sign is Leo', 'zodiac_sign')).toEqual(['Leo']);
    expect(found('Leo Tolstoy had cancer', 'zodiac_sign')).toEqual([]);
  });
});

describe('detectPii', () => {
  it('keeps only the requested policies', () => {
    const text = 'John Smith, 4111 1111 1111 1111, john@example.com';
    expect(detectPii(text, new Set(['email_address'])).map((f) => f.type)).toEqual(['email_address']);
    expect(detectPii(text, new Set())).toEqual([]);
  });
  it('reads a long text in pieces, with offsets into the whole text', () => {
    const sentence = 'Please call me at 415-555-2671 tomorrow. ';
    const text = sentence.repeat(60);
    const found = detectPii(text, new Set(['phone_number']));
    expect(found).toHaveLength(60);
    for (const f of found) expect(text.slice(f.start, f.end)).toBe('415-555-2671');
    // Without sentence ends, pieces are cut at spaces: a number is never split.
    const flat = 'call 415-555-2671 then '.repeat(80);
    expect(detectPii(flat, new Set(['phone_number'])).map((f) => flat.slice(f.start, f.end))).toEqual(Array(80).fill('415-555-2671'));
  });

  it('scores every finding between the threshold and 1', () => {
    for (const f of detectPii('Call 415-555-2671, SSN 219-09-9999, on December 18 at 9 am', DETECTED_POLICIES)) {
      expect(f.score).toBeGreaterThanOrEqual(0.5);
      expect(f.score).toBeLessThanOrEqual(1);
    }
  });
});
