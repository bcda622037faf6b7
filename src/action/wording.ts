import type { AdviceId, Wording } from '../core/wording.js';

const ADVICE: Record<AdviceId, string> = {
  'start-qdrant': ", or use 'start: docker' / 'start: binary'",
  'compatible-qdrant': " (for example 'qdrant-version' with 'start')",
  'secret-example': ' (for example ${{ secrets.QDRANT_BACKUP_KEY }})',
};

/** The action names settings by their inputs in action.yml. */
export const ACTION_WORDING: Wording = {
  name: (id) => `'${id}'`,
  subject: (id) => `Input '${id}'`,
  value: (id, value) => `${id}: ${value}`,
  advice: (id) => ADVICE[id],
};
