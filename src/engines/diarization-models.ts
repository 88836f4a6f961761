import { catalogueEntry } from '../models/catalogue.js';
import { findModel } from '../models/store.js';

export interface DiarizationModels {
  segmentation: string;
  embedding: string;
}

type Settings = { dataDir: string; diarizationSegmentationModel: string | null; diarizationEmbeddingModel: string | null };

const SETTINGS = [
  ['diarizationSegmentationModel', 'EARSHOT_DIARIZATION_SEGMENTATION_MODEL', 'speaker segmentation'],
  ['diarizationEmbeddingModel', 'EARSHOT_DIARIZATION_EMBEDDING_MODEL', 'speaker embedding'],
] as const;

type Lookup = { path: string } | { fix: string };

async function lookUp(config: Settings, [key, env, what]: (typeof SETTINGS)[number]): Promise<Lookup> {
  const name = config[key];
  const found = name ? await findModel(config.dataDir, name) : null;
  if (found) return { path: found };
  if (!name) return { fix: `set ${env} to a ${what} model` };
  if (catalogueEntry(name)) return { fix: `run \`earshot models pull ${name}\`` };
  return { fix: `${env} names neither a catalogue model nor an existing file` };
}

/**
 * The installed speaker embedding model alone, for live speaker labels (which cluster each turn's embedding as it
 * ends, with no segmentation pass), or why they cannot run.
 */
export async function findSpeakerEmbeddingModel(config: Settings): Promise<{ path: string } | { missing: string }> {
  const found = await lookUp(config, SETTINGS[1]);
  if ('path' in found) return found;
  return { missing: `speaker_labels needs a speaker embedding model, which is not installed on this Earshot server: ${found.fix}` };
}

/**
 * The installed paths of speaker diarization's two models, or why `speaker_labels` cannot run: a sentence naming what
 * is missing and how to install it. Looked up per request and per job, so models pulled later are used without a restart.
 */
export async function findDiarizationModels(config: Settings): Promise<DiarizationModels | { missing: string }> {
  const paths: string[] = [];
  const fixes: string[] = [];
  for (const setting of SETTINGS) {
    const found = await lookUp(config, setting);
    if ('path' in found) paths.push(found.path);
    else fixes.push(found.fix);
  }
  if (fixes.length)
    return {
      missing: `speaker_labels needs the speaker diarization models, which are not installed on this Earshot server: ${fixes.join(' and ')}`,
    };
  return { segmentation: paths[0]!, embedding: paths[1]! };
}
