// Embedded at build time (ncc inlines the JSON), so the bundle and the installed package report the
// version they were built from, wherever they run.
import packageJson from '../../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
