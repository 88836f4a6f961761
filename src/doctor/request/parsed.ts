/** A pasted request as the curl and raw-HTTP parsers read it: what the rules check. */
import type { ShellNotes } from './tokenize.js';

export interface Header {
  name: string;
  value: string;
  /** No "Name: value" colon: curl sends nothing for it. */
  malformed: boolean;
}

export type DataFlag = '-d' | '--data-raw' | '--data-binary' | '--data-urlencode' | '--json' | 'body';

export interface ParsedRequest {
  tool: 'curl' | 'http';
  method: string;
  url: string | null;
  headers: Header[];
  /** Data parts in order (curl joins them with &). `file` is the @file they read. */
  data: { flag: DataFlag; text: string; file: string | null }[];
  form: { name: string; value: string; file: string | null }[];
  uploadFile: string | null;
  basicAuth: string | null;
  /** -G: data goes into the query string. */
  get: boolean;
  notes: ShellNotes;
}
