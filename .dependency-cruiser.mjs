// Import rules for dependency-cruiser (`npm run lint:imports`); they are built in
// scripts/import-rules.mjs, which holds the package direction table.
import { importRules } from './scripts/import-rules.mjs';

export default importRules(new URL('.', import.meta.url));
