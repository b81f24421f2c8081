/** The CSV reader of the data loaders (bundled into dist by scripts/build-vendor.mjs; see commander.ts). */
export { CsvError, parse, type Info } from 'csv-parse/sync';
