/**
 * Identifiers with a fixed shape: US social security numbers (with the ranges the SSA never
 * issues), e-mail addresses, URLs and IP addresses (checked by Node's own parser).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { withContext } from './context.js';
import type { Finding } from './policies.js';
import { digitsOf, matches, type Analysed, type Recogniser } from './recogniser.js';

const SSN_FORMATTED = /(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])/g;
const SSN_BARE = /(?<![\d-])\d{9}(?![\d-])/g;
const SSN_CONTEXT = ['social', 'security', 'ssn', 'ssns', 'ss#', 'ssid', 'social security'];

/** The SSA never issues area 000, 666 or 900–999, group 00, or serial 0000. */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !/^(\d)\1{8}$/.test(digits);
}

const EMAIL = /(?<![\w.+-])[\w.+-]+@[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}(?![\w-])/gi;
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"']+[^\s<>"'.,;:!?)]/gi;
/** A bare domain ("example.com/page") on the common top-level domains only, so "e.g." or "3.5" are not URLs. */
const DOMAIN =
  /(?<![\w@.-])(?:[a-z\d-]+\.)+(?:com|org|net|edu|gov|io|co|uk|de|fr|info|biz|ai|app|dev)(?:\/[^\s<>"']*[^\s<>"'.,;:!?)])?(?![\w@-])/gi;
const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;
const IPV6 = /(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi;

export const identifierRecogniser: Recogniser = {
  policies: ['us_social_security_number', 'email_address', 'url', 'ip_address'],
  find({ text }: Analysed): Finding[] {
    const out: Finding[] = [];
    const span = (type: Finding['type'], m: RegExpExecArray, score: number): Finding => ({
      type,
      start: m.index,
      end: m.index + m[0].length,
      score,
    });
    for (const m of matches(text, SSN_FORMATTED)) {
      if (ssnValid(digitsOf(m[0]))) out.push(withContext(text, span('us_social_security_number', m, 0.6), SSN_CONTEXT));
    }
    for (const m of matches(text, SSN_BARE)) {
      if (ssnValid(m[0])) out.push(withContext(text, span('us_social_security_number', m, 0.3), SSN_CONTEXT));
    }
    for (const m of matches(text, EMAIL)) out.push(span('email_address', m, 0.95));
    for (const m of matches(text, URL_RE)) out.push(span('url', m, 0.8));
    for (const m of matches(text, DOMAIN)) out.push(span('url', m, 0.6));
    for (const m of matches(text, IPV4)) if (isIPv4(m[0])) out.push(span('ip_address', m, 0.8));
    for (const m of matches(text, IPV6)) if (isIPv6(m[0]) && /[\da-f]{2}/i.test(m[0])) out.push(span('ip_address', m, 0.8));
    return out;
  },
};
