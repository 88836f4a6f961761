/**
 * The models `earshot models pull` knows: whisper.cpp ggml speech models, instruct GGUF
 * models for LeMUR and the LLM Gateway, Silero VAD for live turn detection, speaker diarization's two models
 * and sherpa-onnx's release archives. Sizes and SHA-256 digests are the ones Hugging Face publishes for the
 * files (their git-LFS object ids) or, for sherpa-onnx's archives, the ones other projects pinning them agree
 * on, so a download is checked against the real file, not against whatever the server happened to send.
 */
export interface CatalogueEntry {
  name: string;
  /**
   * `whisper`: a speech model; `llm`: an instruct model for LeMUR and the LLM Gateway (llama.cpp); `vad`: voice activity detection
   * for streaming; `speaker-segmentation` and `speaker-embedding`: the two models of speaker diarization (`speaker_labels`);
   * `sherpa` / `sherpa-streaming`: a sherpa-onnx batch / streaming speech model (a release archive).
   */
  kind: 'whisper' | 'llm' | 'vad' | 'speaker-segmentation' | 'speaker-embedding' | 'sherpa' | 'sherpa-streaming';
  /** The file's name in `<data-dir>/models`. */
  fileName: string;
  url: string;
  sizeBytes: number;
  /** Hex digest, verified on every download. */
  sha256: string;
  licence: string;
  languages: 'en' | 'multilingual';
  /** A .tar.bz2 release archive: the directory it unpacks to, which is what gets installed. */
  unpacksTo?: string;
  /** sherpa-onnx's `modelType` for it, where its example sets one. */
  modelType?: string;
}

const DEFAULT_BASE_URL = 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main';

/** A mirror holding every model file under its `fileName`. Read at call time so a mirror (or a test server) can be set after import. */
export function mirrorUrl(): string | null {
  return process.env.EARSHOT_MODEL_BASE_URL ? process.env.EARSHOT_MODEL_BASE_URL.replace(/\/+$/, '') : null;
}

export function modelBaseUrl(): string {
  return mirrorUrl() ?? DEFAULT_BASE_URL;
}

type Row = [name: string, sizeBytes: number, sha256: string];

const ROWS: Row[] = [
  ['tiny', 77_691_713, 'be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21'],
  ['tiny.en', 77_704_715, '921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f'],
  ['base', 147_951_465, '60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe'],
  ['base.en', 147_964_211, 'a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002'],
  ['small', 487_601_967, '1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b'],
  ['small.en', 487_614_201, 'c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d'],
  ['medium', 1_533_763_059, '6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208'],
  ['medium.en', 1_533_774_781, 'cc37e93478338ec7700281a7ac30a10128929eb8f427dda2e865faa8f6da4356'],
  ['large-v3', 3_095_033_483, '64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2'],
  ['large-v3-turbo', 1_624_555_275, '1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69'],
  ['large-v3-turbo-q5_0', 574_041_195, '394221709cd5ad1f40c46e6031ca61bce88931e6e088c188294c6d5a55ffa7e2'],
];

type LlmRow = [name: string, repo: string, file: string, sizeBytes: number, sha256: string, licence: string];

/** Q4_K_M quantisations, small enough for CPUs: the Qwen team's own files, and bartowski's of Meta's Llama 3.2. */
const LLM_ROWS: LlmRow[] = [
  [
    'qwen2.5-0.5b-instruct',
    'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
    'qwen2.5-0.5b-instruct-q4_k_m.gguf',
    491_400_032,
    '74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db',
    'Apache-2.0',
  ],
  [
    'qwen2.5-1.5b-instruct',
    'Qwen/Qwen2.5-1.5B-Instruct-GGUF',
    'qwen2.5-1.5b-instruct-q4_k_m.gguf',
    1_117_320_736,
    '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e',
    'Apache-2.0',
  ],
  [
    'qwen2.5-3b-instruct',
    'Qwen/Qwen2.5-3B-Instruct-GGUF',
    'qwen2.5-3b-instruct-q4_k_m.gguf',
    2_104_932_768,
    '626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d',
    'Qwen Research License',
  ],
  [
    'llama-3.2-1b-instruct',
    'bartowski/Llama-3.2-1B-Instruct-GGUF',
    'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    807_694_464,
    '6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83',
    'Llama 3.2 Community License',
  ],
  [
    'llama-3.2-3b-instruct',
    'bartowski/Llama-3.2-3B-Instruct-GGUF',
    'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    2_019_377_696,
    '6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff',
    'Llama 3.2 Community License',
  ],
];

type SherpaRow = [
  name: string,
  kind: 'sherpa' | 'sherpa-streaming',
  licence: string,
  languages: 'en' | 'multilingual',
  sizeBytes: number,
  sha256: string,
  modelType?: string,
];

/**
 * sherpa-onnx models, as its Node examples fetch them: the `asr-models` release archives, unpacked into
 * `<data-dir>/models/sherpa-onnx-<name>`. Parakeet TDT 0.6B v2 (English, cased and punctuated) is the
 * default batch model; the bilingual streaming zipformer is the one sherpa-onnx's streaming example uses
 * (with its `modelType`). sherpa-onnx publishes no digests for this release tag (its API's `digest` is
 * null); the sizes and SHA-256s are the ones several projects that pin these archives agree on
 * (docs/engines.md, "Model checksums"), so a download that differs is refused rather than trusted.
 */
const SHERPA_ROWS: SherpaRow[] = [
  [
    'nemo-parakeet-tdt-0.6b-v2-int8',
    'sherpa',
    'CC-BY-4.0',
    'en',
    482_468_385,
    '157c157bc51155e03e37d2466522a3a737dd9c72bb25f36eb18912964161e1ad',
  ],
  ['moonshine-tiny-en-int8', 'sherpa', 'MIT', 'en', 107_600_538, 'd5fe6ec4334fef36255b2a4010412cad4c007e33103fec62fb5d17cad88086f2'],
  ['moonshine-base-en-int8', 'sherpa', 'MIT', 'en', 250_807_309, '21870cecaa2e44e4e2bf63e02d1072bed183ccd10284871353bd9d24dad14e5e'],
  ['whisper-tiny', 'sherpa', 'MIT', 'multilingual', 116_204_861, 'c46116994e539aa165266d96b325252728429c12535eb9d8b6a2b10f129e66b1'],
  ['whisper-base', 'sherpa', 'MIT', 'multilingual', 207_557_382, '911b2083efd7c0dca2ac3b358b75222660dc09fb716d64fbfc417ba6c99ff3de'],
  ['whisper-small', 'sherpa', 'MIT', 'multilingual', 639_387_718, '486a46afbb7ba798507190ffe02fea2dd726049af212e774537efac6afb210a6'],
  [
    'sense-voice-zh-en-ja-ko-yue-2024-07-17',
    'sherpa',
    'FunASR Model License',
    'multilingual',
    1_047_870_769,
    'f6b2a72ebcb1ac7a764d4cfccd886e6bcb2a95c4657c2199d0ba95ed4b9ea71a',
  ],
  [
    'streaming-zipformer-en-2023-06-26',
    'sherpa-streaming',
    'Apache-2.0',
    'en',
    310_414_022,
    '639e25b578e9e997131402199419c13a941f8e4e198e2da1ce57dbf5cf401282',
  ],
  [
    'streaming-zipformer-bilingual-zh-en-2023-02-20',
    'sherpa-streaming',
    'Apache-2.0',
    'multilingual',
    511_274_346,
    '27ffbd9ee24ad186d99acc2f6354d7992b27bcab490812510665fa8f9389c5f8',
    'zipformer',
  ],
];

function sherpaEntries(mirror: string | null): CatalogueEntry[] {
  return SHERPA_ROWS.map(([name, kind, licence, languages, sizeBytes, sha256, modelType]) => {
    const fileName = `sherpa-onnx-${name}.tar.bz2`;
    return {
      name,
      kind,
      fileName,
      url: mirror ? `${mirror}/${fileName}` : `https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/${fileName}`,
      sizeBytes,
      sha256,
      licence,
      languages,
      unpacksTo: `sherpa-onnx-${name}`,
      ...(modelType ? { modelType } : {}),
    };
  });
}

/** The catalogue, with URLs built from the current base URL. */
export function catalogue(): CatalogueEntry[] {
  const base = modelBaseUrl();
  const mirror = mirrorUrl();
  const whisper: CatalogueEntry[] = ROWS.map(([name, sizeBytes, sha256]) => ({
    name,
    kind: 'whisper',
    fileName: `ggml-${name}.bin`,
    url: `${base}/ggml-${name}.bin`,
    sizeBytes,
    sha256,
    licence: 'MIT',
    // whisper.cpp names English-only models "<size>.en"; the rest are multilingual.
    languages: /\.en(-|$)/.test(name) ? 'en' : 'multilingual',
  }));
  const llms: CatalogueEntry[] = LLM_ROWS.map(([name, repo, file, sizeBytes, sha256, licence]) => ({
    name,
    kind: 'llm',
    fileName: file,
    url: mirror ? `${mirror}/${file}` : `https://huggingface.co/${repo}/resolve/main/${file}`,
    sizeBytes,
    sha256,
    licence,
    languages: 'multilingual',
  }));
  const silero: CatalogueEntry = {
    name: 'silero-vad',
    kind: 'vad',
    fileName: 'silero_vad.onnx',
    // The release tag pins the file; the digest is that release's.
    url: mirror ? `${mirror}/silero_vad.onnx` : 'https://github.com/snakers4/silero-vad/raw/v6.2.1/src/silero_vad/data/silero_vad.onnx',
    sizeBytes: 2_327_524,
    sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
    licence: 'MIT',
    languages: 'multilingual',
  };
  // Diarization's two models, as sherpa-onnx's own examples fetch them. The segmentation model is the `model.onnx` of the
  // release's sherpa-onnx-pyannote-segmentation-3-0.tar.bz2, from the pinned revision of its Hugging Face mirror (same file,
  // no archive to unpack). Sizes and digests: see docs/engines.md, "Speaker labels" (quoted from other projects, not measured here).
  const diarization: CatalogueEntry[] = [
    {
      name: 'pyannote-segmentation-3.0',
      kind: 'speaker-segmentation',
      fileName: 'sherpa-onnx-pyannote-segmentation-3-0.onnx',
      url: mirror
        ? `${mirror}/sherpa-onnx-pyannote-segmentation-3-0.onnx`
        : 'https://huggingface.co/csukuangfj/sherpa-onnx-pyannote-segmentation-3-0/resolve/9403a6902bb58e3d5ae8c7e77c3422de279db2e0/model.onnx',
      sizeBytes: 5_992_913,
      sha256: '220ad67ca923bef2fa91f2390c786097bf305bceb5e261d4af67b38e938e1079',
      licence: 'MIT',
      languages: 'multilingual',
    },
    {
      name: 'wespeaker-voxceleb-resnet34-lm',
      kind: 'speaker-embedding',
      fileName: 'wespeaker_en_voxceleb_resnet34_LM.onnx',
      url: mirror
        ? `${mirror}/wespeaker_en_voxceleb_resnet34_LM.onnx`
        : 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/wespeaker_en_voxceleb_resnet34_LM.onnx',
      sizeBytes: 26_530_550,
      sha256: 'e9848563da86f263117134dfd7ad63c92355b37de492b55e325400c9d9c39012',
      licence: 'CC-BY-4.0',
      languages: 'multilingual',
    },
  ];
  return [...whisper, ...llms, silero, ...diarization, ...sherpaEntries(mirror)];
}

export function catalogueEntry(name: string): CatalogueEntry | undefined {
  return catalogue().find((e) => e.name === name);
}
