import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { findModel } from '../models/store.js';
import type { Engine } from './engine.js';
import { POCKETSPHINX_MODEL, whisperModelName } from './models.js';
import type { EngineChoice } from './choice.js';

const ENGLISH = ['en', 'en_us', 'en_uk', 'en_au', 'en_ca', 'en_in', 'en_nz'];

async function whisperChoice(config: Config): Promise<EngineChoice | null> {
  const modelPath = await findModel(config.dataDir, config.whisperModel);
  if (!modelPath) return null;
  const model = whisperModelName(config.whisperModel);
  return { name: 'whisper', model, modelPath, languages: model.endsWith('.en') ? ENGLISH : 'all' };
}

async function sherpaChoice(config: Config): Promise<EngineChoice | null> {
  if (!config.sherpaModel) return null;
  const { resolveSherpaModel } = await import('./sherpa-models.js');
  const sherpa = await resolveSherpaModel(config.dataDir, config.sherpaModel, false);
  return sherpa ? { name: 'sherpa', model: sherpa.name, sherpa, languages: sherpa.languages } : null;
}

const POCKETSPHINX: EngineChoice = { name: 'pocketsphinx', model: POCKETSPHINX_MODEL, languages: ENGLISH };

export async function chooseEngine(config: Config, log: Logger): Promise<EngineChoice> {
  let choice: EngineChoice;
  switch (config.engine) {
    case 'pocketsphinx':
      choice = POCKETSPHINX;
      break;
    case 'whisper': {
      const w = await whisperChoice(config);
      if (!w)
        throw new Error(
          `EARSHOT_ENGINE=whisper but model "${config.whisperModel}" is not installed: run \`earshot models pull ${config.whisperModel}\``,
        );
      choice = w;
      break;
    }
    case 'sherpa': {
      const s = await sherpaChoice(config);
      if (!s)
        throw new Error(
          `EARSHOT_ENGINE=sherpa but no sherpa-onnx offline model is installed at EARSHOT_SHERPA_MODEL (${config.sherpaModel ?? 'unset'})`,
        );
      choice = s;
      break;
    }
    case 'auto':
      choice = (await sherpaChoice(config)) ?? (await whisperChoice(config)) ?? POCKETSPHINX;
      break;
    default:
      throw new Error(`Unknown engine "${config.engine}": use auto, pocketsphinx, whisper or sherpa`);
  }
  log.info({ engine: choice.name, model: choice.model, requested: config.engine }, 'speech engine selected');
  return choice;
}

/** Builds the engine itself; called inside each worker thread. */
export async function createEngine(choice: EngineChoice, threads: number): Promise<Engine> {
  if (choice.name === 'sherpa') {
    const { createSherpaOfflineEngine } = await import('./sherpa.js');
    return createSherpaOfflineEngine({ model: choice.sherpa!, threads });
  }
  if (choice.name === 'whisper') {
    const { createWhisperEngine } = await import('./whisper.js');
    return createWhisperEngine({ modelPath: choice.modelPath!, model: choice.model, threads });
  }
  const { createPocketsphinxEngine } = await import('./pocketsphinx.js');
  return createPocketsphinxEngine();
}
