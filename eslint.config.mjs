// Lint is where module boundaries are enforced: protocol and crypto import no service code, and
// no service imports another service (only the all-in-one node composes them).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/gen/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:kit', onlyDependOnLibsWithTags: ['type:core', 'type:kit'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:testing'] },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:core', 'type:sdk'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:testing'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:platform', 'type:testing'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:platform', 'type:client', 'type:testing', 'type:sdk'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:platform', 'type:client', 'type:service', 'type:testing', 'type:sdk'] },
            { sourceTag: 'type:deploy', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:sdk', 'type:testing'] },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:core', 'type:kit', 'type:platform', 'type:client', 'type:testing', 'type:sdk', 'type:service', 'type:app'] }
          ]
        }
      ]
    }
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } }
  }
);
