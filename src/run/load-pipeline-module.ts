import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ContainerModule } from 'inversify';
import { MicflowError } from '../errors/micflow-error.js';
import type { PipelineDefinition } from '../graph/pipeline-definition.js';

export interface LoadedPipelineModule {
  readonly file: string;
  readonly definition: PipelineDefinition;
  /** Container modules the pipeline module exports as `modules` (its own stages). */
  readonly modules: readonly ContainerModule[];
}

/** Names of the pipelines in a folder (`<name>.ts` files). */
export function listPipelineNames(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

/** Loads `pipelines/<name>.ts` (or a path to a .ts file): its default export and optional `modules` export. */
export async function loadPipelineModule(nameOrPath: string, pipelinesDirectory: string): Promise<LoadedPipelineModule> {
  const looksLikePath = nameOrPath.endsWith('.ts') || nameOrPath.includes('/');
  const file = looksLikePath ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)) : join(pipelinesDirectory, `${nameOrPath}.ts`);
  if (!existsSync(file)) {
    const known = listPipelineNames(pipelinesDirectory);
    throw new MicflowError(
      'unknown-pipeline',
      `unknown pipeline "${nameOrPath}" (no ${file}); available: ${known.length ? known.join(', ') : '(none)'}`,
    );
  }
  let loaded: { default?: unknown; modules?: unknown };
  try {
    loaded = (await import(freshModuleUrl(file))) as typeof loaded;
  } catch (error) {
    throw new MicflowError('invalid-pipeline', `${file}: cannot load the pipeline module: ${moduleLoadProblem(error, file)}`);
  }
  if (!loaded.default || typeof loaded.default !== 'object') {
    throw new MicflowError('invalid-pipeline', `${file}: the module has no default export; export default pipeline({...})`);
  }
  const modules = loaded.modules === undefined ? [] : loaded.modules;
  if (!Array.isArray(modules)) throw new MicflowError('invalid-pipeline', `${file}: "modules" must be an array of ContainerModule`);
  return { file, definition: loaded.default as PipelineDefinition, modules: modules as ContainerModule[] };
}

/**
 * The module's file URL with its modification time and size as a query: an ES module is cached by URL, so a module
 * edited since it was first imported in this process (a resumed run comparing against the definition it started
 * from, a long-lived worker) is read again instead of answering with the old definition.
 */
function freshModuleUrl(file: string): string {
  const { mtimeMs, size } = statSync(file);
  return `${pathToFileURL(file).href}?version=${mtimeMs}-${size}`;
}

/** Loads a user's container module file (`--module path.ts`): its default export, or every ContainerModule it exports. */
export async function loadContainerModuleFile(path: string): Promise<ContainerModule[]> {
  const file = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(file)) throw new MicflowError('invalid-argument', `--module ${path}: no such file`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(freshModuleUrl(file))) as Record<string, unknown>;
  } catch (error) {
    throw new MicflowError('invalid-argument', `--module ${path}: cannot load: ${moduleLoadProblem(error, file)}`);
  }
  const modules = Object.values(loaded).filter(
    (v): v is ContainerModule => typeof v === 'object' && v !== null && typeof (v as { load?: unknown }).load === 'function' && 'id' in (v as object),
  );
  if (!modules.length) throw new MicflowError('invalid-argument', `--module ${path}: exports no ContainerModule (use stageModule(MyStage))`);
  return modules;
}

/**
 * Why a module failed to load, in one or a few lines: the compiler's `file:line:column: ERROR: message` lines for a
 * syntax error (tsx/esbuild put them after a "Transform failed" line), else the error's message with the first place
 * in the module's own file the stack names.
 */
export function moduleLoadProblem(error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (/^Transform failed with \d+ errors?:?$/.test(lines[0] ?? '') && lines.length > 1) return lines.slice(1).join('; ');
  const place = error instanceof Error ? error.stack?.split('\n').find((l) => l.includes(file))?.match(/\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/)?.[1] : undefined;
  return `${lines[0] ?? 'unknown error'}${place ? ` (at ${place.replace(/^file:\/\//, '').replace(/\?version=[^:]*/, '')})` : ''}`;
}
