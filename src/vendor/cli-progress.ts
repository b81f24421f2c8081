/** The CLI's progress bar (bundled into dist by scripts/build-vendor.mjs; see commander.ts). */
export { default } from 'cli-progress';
