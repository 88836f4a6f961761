/**
 * Runs on the audio thread: turns the microphone's float samples (at the AudioContext's 16 kHz)
 * into 100 ms chunks of 16-bit PCM for the v3 protocol, with the chunk's peak level for a meter.
 */

declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;
declare const sampleRate: number;

class Pcm16Capture extends AudioWorkletProcessor {
  private readonly size = Math.round(sampleRate / 10);
  private buffer = new Int16Array(this.size);
  private filled = 0;
  private peak = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const s = Math.max(-1, Math.min(1, channel[i]!));
      this.peak = Math.max(this.peak, Math.abs(s));
      this.buffer[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === this.size) {
        this.port.postMessage({ pcm: this.buffer.buffer, peak: this.peak }, [this.buffer.buffer]);
        this.buffer = new Int16Array(this.size);
        this.filled = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}

registerProcessor('pcm16-capture', Pcm16Capture);
