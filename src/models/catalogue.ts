/**
 * The whisper.cpp ggml models `earshot models pull` knows. Sizes and SHA-256 digests are the ones
 * Hugging Face publishes for the files (their git-LFS object ids), so a download is checked
 * against the real file, not against whatever the server happened to send.
 */
export interface CatalogueEntry {
  name: string;
  url: string;
  sizeBytes: number;
  /** Hex digest; at least one of sha256 / sha1 is set and every one that is set is verified. */
  sha256?: string;
  sha1?: string;
  licence: string;
  languages: 'en' | 'multilingual';
}

const DEFAULT_BASE_URL = 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main';

/** Read at call time so a mirror (or a test server) can be set after import. */
export function modelBaseUrl(): string {
  return (process.env.EARSHOT_MODEL_BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, '');
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

/** The catalogue, with URLs built from the current base URL. */
export function catalogue(): CatalogueEntry[] {
  const base = modelBaseUrl();
  return ROWS.map(([name, sizeBytes, sha256]) => ({
    name,
    url: `${base}/ggml-${name}.bin`,
    sizeBytes,
    sha256,
    licence: 'MIT',
    // whisper.cpp names English-only models "<size>.en"; the rest are multilingual.
    languages: /\.en(-|$)/.test(name) ? 'en' : 'multilingual',
  }));
}

export function catalogueEntry(name: string): CatalogueEntry | undefined {
  return catalogue().find((e) => e.name === name);
}
