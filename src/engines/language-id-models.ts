import { catalogueEntry } from '../models/catalogue.js';
import type { LanguageIdModel } from './language-id.js';
import { resolveSherpaModel } from './sherpa-models.js';

type Settings = { dataDir: string; languageIdModel: string | null };

const ENV = 'EARSHOT_LANGUAGE_ID_MODEL';

/**
 * The installed Whisper model `language_detection` runs, or why it cannot run: a sentence naming what is missing and
 * how to install it. Looked up per request and per job, as the diarization models are, so a model pulled later is
 * used without a restart.
 */
export async function findLanguageIdModel(config: Settings): Promise<LanguageIdModel | { missing: string }> {
  const name = config.languageIdModel;
  const why = (fix: string) => ({
    missing: `language_detection needs a spoken language identification model, which is not installed on this Earshot server: ${fix}`,
  });
  if (!name) return why(`set ${ENV} to a multilingual Whisper model (\`earshot models pull whisper-tiny\`)`);
  let model: Awaited<ReturnType<typeof resolveSherpaModel>>;
  try {
    model = await resolveSherpaModel(config.dataDir, name, false);
  } catch {
    model = null;
  }
  if (model?.family === 'offline-whisper' && model.languages === 'all')
    return { encoder: model.files.encoder!, decoder: model.files.decoder! };
  if (model) return why(`${ENV} names ${name}, which is not a multilingual Whisper model`);
  if (catalogueEntry(name)) return why(`run \`earshot models pull ${name}\``);
  return why(`${ENV} names neither a catalogue model nor a directory holding a Whisper encoder and decoder`);
}
