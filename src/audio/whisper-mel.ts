/**
 * Whisper's log-mel spectrogram (openai/whisper audio.py, which kaldi-native-fbank's WhisperFeature reproduces for
 * sherpa-onnx): 16 kHz audio, 25 ms Hann windows every 10 ms (a 400-point DFT, centred frames with reflected edges),
 * power spectrum through librosa's Slaney mel filterbank, log10, floored 8 below the peak, scaled to about -1..1.
 */
const N_FFT = 400;
const HOP = 160;
const SAMPLE_RATE = 16_000;
const BINS = N_FFT / 2 + 1;

// Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;
const hzToMel = (hz: number) => (hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP);
const melToHz = (mel: number) => (mel < MIN_LOG_MEL ? mel * F_SP : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)));

/** librosa.filters.mel(sr=16000, n_fft=400, n_mels, norm='slaney'): [nMels][BINS] triangles of unit area per Hz. */
export function melFilters(nMels: number): Float64Array[] {
  const top = hzToMel(SAMPLE_RATE / 2);
  const hz = Array.from({ length: nMels + 2 }, (_, i) => melToHz((top * i) / (nMels + 1)));
  return Array.from({ length: nMels }, (_, m) => {
    const row = new Float64Array(BINS);
    const norm = 2 / (hz[m + 2]! - hz[m]!);
    for (let k = 0; k < BINS; k++) {
      const f = (k * SAMPLE_RATE) / N_FFT;
      const rising = (f - hz[m]!) / (hz[m + 1]! - hz[m]!);
      const falling = (hz[m + 2]! - f) / (hz[m + 2]! - hz[m + 1]!);
      row[k] = Math.max(0, Math.min(rising, falling)) * norm;
    }
    return row;
  });
}

let tables: { cos: Float64Array; sin: Float64Array; window: Float64Array } | null = null;

/** The DFT's twiddles and the periodic Hann window (torch.hann_window), computed once. */
function dftTables() {
  if (tables) return tables;
  const cos = new Float64Array(BINS * N_FFT);
  const sin = new Float64Array(BINS * N_FFT);
  for (let k = 0; k < BINS; k++)
    for (let n = 0; n < N_FFT; n++) {
      const a = (2 * Math.PI * ((k * n) % N_FFT)) / N_FFT;
      cos[k * N_FFT + n] = Math.cos(a);
      sin[k * N_FFT + n] = Math.sin(a);
    }
  const window = Float64Array.from({ length: N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
  tables = { cos, sin, window };
  return tables;
}

/**
 * The normalised log-mel of `samples` (16 kHz, -1..1) as a row-major [nMels][frames] array, `frames` = samples / 160
 * (whisper drops the STFT's last frame). `padTo` appends frames of 0 up to that count, as sherpa-onnx's Whisper
 * code pads what it gives the encoder.
 */
export function whisperLogMel(samples: Float32Array, nMels: number, padTo = 0): { data: Float32Array; frames: number } {
  const frames = Math.floor(samples.length / HOP);
  const width = Math.max(frames, padTo);
  const { cos, sin, window } = dftTables();
  const filters = melFilters(nMels);
  const half = N_FFT / 2;
  // Reflect-padded sample i (torch.stft's center=True, pad_mode='reflect').
  const at = (i: number) => {
    const n = samples.length;
    if (n === 1) return samples[0]!;
    let j = i < 0 ? -i : i;
    if (j >= n) j = 2 * (n - 1) - j;
    return samples[Math.max(0, Math.min(n - 1, j))]!;
  };
  const log = new Float64Array(nMels * frames);
  const frame = new Float64Array(N_FFT);
  const power = new Float64Array(BINS);
  let peak = -Infinity;
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < N_FFT; n++) frame[n] = at(t * HOP - half + n) * window[n]!;
    for (let k = 0; k < BINS; k++) {
      let re = 0;
      let im = 0;
      const row = k * N_FFT;
      for (let n = 0; n < N_FFT; n++) {
        re += frame[n]! * cos[row + n]!;
        im -= frame[n]! * sin[row + n]!;
      }
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < nMels; m++) {
      const f = filters[m]!;
      let e = 0;
      for (let k = 0; k < BINS; k++) e += f[k]! * power[k]!;
      const v = Math.log10(Math.max(e, 1e-10));
      log[m * frames + t] = v;
      if (v > peak) peak = v;
    }
  }
  const data = new Float32Array(nMels * width);
  for (let m = 0; m < nMels; m++) for (let t = 0; t < frames; t++) data[m * width + t] = (Math.max(log[m * frames + t]!, peak - 8) + 4) / 4;
  return { data, frames: width };
}
