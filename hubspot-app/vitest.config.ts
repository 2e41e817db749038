import { defineConfig } from 'vitest/config';

// Tests live outside src/ on purpose: `hs project upload` sends only srcDir (src/),
// so nothing test-only is uploaded to HubSpot.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    environment: 'node',
  },
});
