/** Datasets: sample streams read from case lists. One line per stage, alphabetical; a new stage is one file plus one line here. */
export { CsvDataset } from './csv-dataset.js';
