/** Shell words, the way bash splits a pasted command line (cmd and PowerShell line breaks too). */

interface Word {
  value: string;
}

export interface ShellNotes {
  /** `$VAR` inside single quotes: sent literally. */
  singleQuotedVars: string[];
  /** `$VAR` the shell would expand but that is not set here. */
  unsetVars: string[];
  /** Typographic quotes (“ ” ‘ ’) used as quotes: the shell sends them as characters. */
  smartQuotes: boolean;
}

const VAR_AT = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/;

/** Splits a command line into words: quotes, escapes, line continuations, `$VAR` from `env`. Stops at a pipe or `;`. */
export function shellWords(text: string, env: Record<string, string | undefined>): { words: Word[]; notes: ShellNotes } {
  const notes: ShellNotes = { singleQuotedVars: [], unsetVars: [], smartQuotes: false };
  // Line continuations of bash (\), cmd (^) and PowerShell (`).
  const s = text.replace(/[\\^`]\r?\n/g, ' ').replace(/\r?\n/g, ' ');
  const words: Word[] = [];
  let cur: string | null = null;
  const add = (c: string) => (cur = (cur ?? '') + c);
  const expand = (i: number): number => {
    const m = VAR_AT.exec(s.slice(i));
    if (!m) {
      add('$');
      return i + 1;
    }
    const name = (m[1] ?? m[2])!;
    const v = env[name];
    if (v === undefined) {
      if (!notes.unsetVars.includes(name)) notes.unsetVars.push(name);
      add(m[0]);
    } else add(v);
    return i + m[0].length;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (cur !== null) words.push({ value: cur });
      cur = null;
      i++;
    } else if (c === '|' || c === ';' || (c === '&' && s[i + 1] === '&') || c === '>') {
      break;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      const part = end < 0 ? s.slice(i + 1) : s.slice(i + 1, end);
      for (const m of part.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g))
        if (!notes.singleQuotedVars.includes(m[0])) notes.singleQuotedVars.push(m[0]);
      add(part);
      i = end < 0 ? s.length : end + 1;
    } else if (c === '$' && s[i + 1] === "'") {
      let j = i + 2;
      let part = '';
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      while (j < s.length && s[j] !== "'") {
        if (s[j] === '\\' && j + 1 < s.length) {
          part += esc[s[j + 1]!] ?? s[j + 1];
          j += 2;
        } else part += s[j++];
      }
      add(part);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      add('');
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && /[$`"\\]/.test(s[j + 1] ?? '')) {
          add(s[j + 1]!);
          j += 2;
        } else if (s[j] === '$') j = expand(j);
        else add(s[j++]!);
      }
      i = j + 1;
    } else if (c === '\\' && i + 1 < s.length) {
      add(s[i + 1]!);
      i += 2;
    } else if (c === '$') {
      i = expand(i);
    } else {
      if ('“”‘’'.includes(c)) notes.smartQuotes = true;
      add(c);
      i++;
    }
  }
  if (cur !== null) words.push({ value: cur });
  return { words, notes };
}
