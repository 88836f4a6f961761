/** What the console remembers in this browser (localStorage): the API key, the theme, the transcription speed. */

const KEY = 'earshot.key';
const THEME = 'earshot.theme';
const SPEED = 'earshot.speed';

function read(name: string): string | null {
  try {
    return localStorage.getItem(name);
  } catch {
    return null; // storage disabled: the console still works for this visit
  }
}

function write(name: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(name);
    else localStorage.setItem(name, value);
  } catch {
    /* storage disabled or full: nothing is remembered */
  }
}

export const getKey = (): string | null => read(KEY);
export const setKey = (key: string | null): void => write(KEY, key);

export type Theme = 'light' | 'dark' | 'system';
export const getTheme = (): Theme => (read(THEME) as Theme | null) ?? 'system';
export function setTheme(theme: Theme): void {
  write(THEME, theme === 'system' ? null : theme);
  applyTheme();
}
/** `data-theme` on <html> picks the palette in styles.css; without it the system preference decides. */
export function applyTheme(): void {
  const theme = getTheme();
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.dataset.theme = theme;
}

/**
 * Processing seconds per second of audio on this server, as last measured from this browser:
 * the basis of the "time left" estimate. The API reports no progress, so this is an estimate.
 */
export function getSpeed(): number | null {
  const v = Number(read(SPEED));
  return Number.isFinite(v) && v > 0 ? v : null;
}
export function recordSpeed(secondsPerAudioSecond: number): void {
  const old = getSpeed();
  // Smoothed, so one odd file does not swing the estimate.
  write(SPEED, String(old === null ? secondsPerAudioSecond : old * 0.6 + secondsPerAudioSecond * 0.4));
}
