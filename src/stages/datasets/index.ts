/** The datasets family (see stageFamilyTitles in ../built-in-stages.ts): one alphabetical line per stage; a new stage is one file plus one line here. */
export { CsvDataset } from './csv-dataset.js';
