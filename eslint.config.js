import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench-data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        Blob: 'readonly',
        Response: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Imports run one way: entry points -> adapters (action/, cli/) -> core/ -> backup-format/, qdrant/,
  // storage/, server/, util/. Nothing below the adapters imports an adapter or talks to the runner
  // (@actions/core); below core/, only core's errors, wording and Reporter type are used.
  layer(['src/core/**'], { packages: ['@actions/*'], folders: ['action', 'cli', 'server', 'storage'] }),
  layer(['src/backup-format/**', 'src/qdrant/**', 'src/util/**'], {
    packages: ['@actions/*'],
    folders: ['action', 'cli', 'server', 'storage'],
    coreLeavesOnly: true,
  }),
  layer(['src/server/**'], {
    packages: ['@actions/core', '@actions/artifact'],
    folders: ['action', 'cli', 'storage'],
    coreLeavesOnly: true,
  }),
  layer(['src/storage/**'], {
    packages: ['@actions/core', '@actions/artifact'],
    folders: ['action', 'cli', 'server'],
    coreLeavesOnly: true,
    ignores: ['src/storage/artifact.ts'],
  }),
  // The artifact store is the one place below the adapters that uses workflow artifacts.
  layer(['src/storage/artifact.ts'], {
    packages: ['@actions/core'],
    folders: ['action', 'cli', 'server'],
    coreLeavesOnly: true,
  }),
);

/** An ESLint block that keeps `files` from importing the given packages and sibling folders of src/. */
function layer(files, { packages, folders, coreLeavesOnly = false, ignores = [] }) {
  const folderPattern = `(^|/)(${folders.join('|')})/`;
  const corePattern = '(^|/)core/(?!(errors|wording|reporter)\\.js$)';
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: packages,
              message: 'Only the adapters (action/, cli/) and the entry points use this package.',
            },
            { regex: folderPattern, message: 'Imports run one way: see the layers in eslint.config.js.' },
            ...(coreLeavesOnly
              ? [
                  {
                    regex: corePattern,
                    message: 'Below core/, import only core/errors, core/wording and core/reporter.',
                  },
                ]
              : []),
          ],
        },
      ],
    },
  };
}
