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

/**
 * The installed paths of speaker diarization's two models, or why `speaker_labels` cannot run: a sentence naming what
 * is missing and how to install it. Looked up per request and per job, so models pulled later are used without a restart.
 */
export async function findDiarizationModels(config: Settings): Promise<DiarizationModels | { missing: string }> {
  const paths: string[] = [];
  const fixes: string[] = [];
  for (const [key, env, what] of SETTINGS) {
    const name = config[key];
    const found = name ? await findModel(config.dataDir, name) : null;
    if (found) paths.push(found);
    else if (!name) fixes.push(`set ${env} to a ${what} model`);
    else if (catalogueEntry(name)) fixes.push(`run \`earshot models pull ${name}\``);
    else fixes.push(`${env} names neither a catalogue model nor an existing file`);
  }
  if (fixes.length)
    return {
      missing: `speaker_labels needs the speaker diarization models, which are not installed on this Earshot server: ${fixes.join(' and ')}`,
    };
  return { segmentation: paths[0]!, embedding: paths[1]! };
}
