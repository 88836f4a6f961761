import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingModelFiles } from '../../../src/status/probes/transcription.js';

describe('missingModelFiles', () => {
  it('checks a sherpa-onnx engine by its own model files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-model-files-'));
    const model = path.join(dir, 'model.onnx');
    const tokens = path.join(dir, 'tokens.txt');
    fs.writeFileSync(model, '');
    fs.writeFileSync(tokens, '');
    const choice = {
      name: 'sherpa' as const,
      model: 'sherpa-x',
      languages: 'all' as const,
      sherpa: { family: 'offline-nemo-ctc' as const, name: 'sherpa-x', files: { model, tokens }, languages: 'all' as const },
    };
    expect(missingModelFiles(choice)).toEqual([]);
    fs.rmSync(tokens);
    expect(missingModelFiles(choice)).toEqual([tokens]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
