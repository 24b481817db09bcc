// typescript-eslint's recommended rules (https://typescript-eslint.io/users/configs) for toplab's TypeScript:
// src/, the pages (web/src/) and the tests. Formatting is Prettier's (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Lab programs and fixtures are course material and test data (a fixture may not even compile, on purpose).
  { ignores: ['dist/**', 'node_modules/**', 'labs/**', 'bench/**', 'results/**', 'test/fixtures/**', '.compose/**'] },
  { files: ['**/*.{ts,tsx}'], extends: [js.configs.recommended, ...tseslint.configs.recommended] },
  {
    rules: {
      // A leading underscore names what is left unused on purpose (a rest sibling dropped from an object, a callback parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // After loading, the lab is read as resolveLab made it (src/lab/resolve.ts: defaults applied, kinds named),
    // never as the YAML was written: `lab.def` belongs to src/lab (docs/architecture.md, "The lab format").
    files: ['src/**/*.ts'],
    ignores: ['src/lab/**', 'src/schema/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='def']",
          message: 'read the resolved lab (lab.name, lab.nodes, lab.checks, ...; src/lab/resolve.ts), not the raw file `def`',
        },
        {
          selector: "ObjectPattern > Property[key.name='def']",
          message: 'read the resolved lab (src/lab/resolve.ts), not the raw file `def`',
        },
      ],
    },
  },
);
