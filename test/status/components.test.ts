import { describe, expect, it } from 'vitest';
import { LOCAL_COMPONENTS, pickComponents } from '../../src/status/components.js';
import { StatusError } from '../../src/status/errors.js';

describe('the components a status request names', () => {
  it('are all of them (null) when none is named', () => {
    for (const raw of [undefined, null, '', ' , ']) expect(pickComponents(LOCAL_COMPONENTS, raw), String(raw)).toBeNull();
  });

  it('come as a list or comma-separated, once each', () => {
    expect(pickComponents(LOCAL_COMPONENTS, 'lemur, queue,lemur')).toEqual(['lemur', 'queue']);
    expect(pickComponents(LOCAL_COMPONENTS, ['storage'])).toEqual(['storage']);
  });

  it('refuses an unknown one as an invalid request, naming the known ones', () => {
    let err: unknown;
    try {
      pickComponents(LOCAL_COMPONENTS, 'lemur,nope,gone');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^unknown components nope, gone: use transcription, /) });
  });
});
