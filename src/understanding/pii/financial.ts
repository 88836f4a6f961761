/**
 * Payment and bank identifiers, each checked the way its issuer defines it: card numbers by the
 * Luhn checksum and issuer prefixes, IBANs by ISO 13616's mod-97, US routing numbers by the ABA
 * checksum. A CVV or an expiry date is only a few digits, so those need a context word.
 */
import { withContext } from './context.js';
import type { Finding } from './policies.js';
import { digitsOf, matches, type Analysed, type Recogniser } from './recogniser.js';

/** 13–19 digits, in groups separated by single spaces or dashes (or none). */
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
/** Visa, Mastercard (51–55, 2221–2720), Amex, Discover, Diners, JCB, UnionPay, Maestro. */
const ISSUER = /^(4|5[1-5]|2(2[2-9][1-9]|[3-6]\d\d|7[01]\d|720)|3[47]|6(011|5|4[4-9]|2)|3(0[0-5]|[68])|35(2[89]|[3-8])|5[06-9]|6\d)/;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Two letters, two check digits, up to 30 alphanumerics, in groups of four or not. */
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/gi;

export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s/g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : Number(ch);
    rest = Number(`${rest}${v}`) % 97;
  }
  return rest === 1;
}

/** ABA routing number: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 mod 10. */
export function abaValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  const d = [...digits].map(Number);
  return (3 * (d[0]! + d[3]! + d[6]!) + 7 * (d[1]! + d[4]! + d[7]!) + (d[2]! + d[5]! + d[8]!)) % 10 === 0;
}

const CARD_CONTEXT = ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'discover', 'cc'];
const CVV_CONTEXT = ['cvv', 'cvc', 'cvv2', 'csc', 'security code', 'verification code', 'card code'];
const EXPIRY_CONTEXT = ['expires', 'expiry', 'expiration', 'exp', 'expiring', 'valid thru', 'valid through', 'good thru'];
const BANK_CONTEXT = ['routing', 'aba', 'iban', 'bank', 'account', 'sort code', 'swift', 'transit'];

/** Three or four digits standing alone. */
const CVV = /(?<![\d/.,-])\d{3,4}(?![\d/.,-])/g;
/** MM/YY, MM/YYYY, MM-YY. */
const EXPIRY = /(?<![\d/])(0[1-9]|1[0-2]) ?[/-] ?(\d{2}|20\d{2})(?![\d/])/g;
const NINE_DIGITS = /(?<![\d-])\d{9}(?![\d-])/g;

export const financialRecogniser: Recogniser = {
  policies: ['credit_card_number', 'credit_card_cvv', 'credit_card_expiration', 'banking_information'],
  find({ text }: Analysed): Finding[] {
    const out: Finding[] = [];
    for (const m of matches(text, CARD)) {
      const digits = digitsOf(m[0]);
      if (!luhnValid(digits) || !ISSUER.test(digits)) continue;
      out.push(withContext(text, { type: 'credit_card_number', start: m.index, end: m.index + m[0].length, score: 0.9 }, CARD_CONTEXT));
    }
    for (const m of matches(text, CVV)) {
      out.push(withContext(text, { type: 'credit_card_cvv', start: m.index, end: m.index + m[0].length, score: 0.2 }, CVV_CONTEXT));
    }
    for (const m of matches(text, EXPIRY)) {
      out.push(
        withContext(text, { type: 'credit_card_expiration', start: m.index, end: m.index + m[0].length, score: 0.2 }, EXPIRY_CONTEXT),
      );
    }
    for (const m of matches(text, IBAN)) {
      if (ibanValid(m[0])) out.push({ type: 'banking_information', start: m.index, end: m.index + m[0].length, score: 0.95 });
    }
    for (const m of matches(text, NINE_DIGITS)) {
      if (abaValid(m[0]))
        out.push(withContext(text, { type: 'banking_information', start: m.index, end: m.index + m[0].length, score: 0.2 }, BANK_CONTEXT));
    }
    return out;
  },
};
