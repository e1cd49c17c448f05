/**
 * micflow's rooms and which way their imports may point (checked by test/architecture/layering.test.ts and by
 * `npx depcruise src pipelines`). A room may import only rooms on lower floors; rooms on one floor do not import each
 * other. Type-only imports count: they are arrows a reader follows too.
 *
 *   floor 0  errors, events                  what everything may throw or report
 *   floor 1  runtime, images                 the tensor runtime; image arrays and their pure kernels
 *   floor 2  io, networks, losses            reading/writing images; networks and losses over the runtime
 *   floor 3  checkpoints, metrics,           variables on disk; segmentation metrics; kernel conformance checks of a
 *            conformance                     backend against cpu (Node-free: run by vitest and in a browser tab)
 *   floor 4  graph                           pipeline definitions, validation, the compiler and the tick scheduler
 *   floor 5  inference, label-synthesis      prediction over trained networks; scribble and label-noise generators
 *   floor 6  stages, datasets                every stage, by family; importing, splitting and weak-labelling datasets on disk
 *   floor 7  run, observers                  preparing and starting runs; observers of the event stream
 *   floor 8  experiments, dashboard, browser comparisons over many runs; the live web view of runs; pipelines in a tab
 *   floor 9  studio                          the annotation studio: scribble, fine-tune in a tab's worker, accept
 *   floor 10 cli                             the commands
 *   pipelines/ may import anything under src/; nothing under src/ imports pipelines/.
 */
const floors = [
  ['errors', 'events'],
  ['runtime', 'images'],
  ['io', 'networks', 'losses'],
  ['checkpoints', 'metrics', 'conformance'],
  ['graph'],
  ['inference', 'label-synthesis'],
  ['stages', 'datasets'],
  ['run', 'observers'],
  ['experiments', 'dashboard', 'browser'],
  ['studio'],
  ['cli'],
];

const rooms = floors.flat();
const floorOf = (room) => floors.findIndex((rs) => rs.includes(room));

const forbidden = [];

for (const room of rooms) {
  const notBelow = rooms.filter((other) => other !== room && floorOf(other) >= floorOf(room));
  forbidden.push({
    name: `${room}-imports-downward-only`,
    comment: `src/${room} is on floor ${floorOf(room)}: it may not import ${notBelow.join(', ')} or pipelines`,
    severity: 'error',
    from: { path: `^src/${room}/` },
    to: { path: [`^src/(${notBelow.join('|')})/`, '^pipelines/'] },
  });
}
forbidden.push(
  {
    name: 'no-unknown-room',
    comment: 'every folder under src/ is a room with a floor in .dependency-cruiser.cjs',
    severity: 'error',
    from: { path: '^src/', pathNot: `^src/(${rooms.join('|')})/` },
    to: {},
  },
  {
    name: 'no-circular',
    comment: 'modules that import each other, directly or round a loop',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
