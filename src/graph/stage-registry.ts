import { ContainerModule, type Container } from 'inversify';
import type { RunEnvironment, StageClass } from './stage.js';

/** DI token under which every stage class is bound (a multi-binding: one binding per class). */
export const STAGE_CLASS = Symbol.for('micflow.StageClass');

/**
 * A container module that registers stage classes by their `className`. This is how a user's own stage joins:
 *
 * ```ts
 * export default stageModule(MyStage);              // in the user's module
 * npm run pipeline -- my-pipeline --module ./my-stages.ts
 * ```
 */
export function stageModule(...classes: StageClass[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const stageClass of classes) bind<StageClass>(STAGE_CLASS).toConstantValue(stageClass);
  });
}

/** A stage that exists but is not loaded where this registry is (the browser bundle leaves Node-only stages out). */
export interface StageElsewhere {
  readonly runsIn: readonly RunEnvironment[];
  readonly reason: string;
}

/** Looks stage classes up by name among those bound in a container. */
export class StageRegistry {
  private readonly byName = new Map<string, StageClass>();

  /** `elsewhere`: stages known by name that cannot be loaded here, so that validation says why instead of "unknown". */
  constructor(
    classes: readonly StageClass[],
    private readonly elsewhere: Readonly<Record<string, StageElsewhere>> = {},
  ) {
    for (const stageClass of classes) {
      const existing = this.byName.get(stageClass.className);
      if (existing && existing !== stageClass) {
        throw new Error(`two different stage classes are registered as "${stageClass.className}"`);
      }
      this.byName.set(stageClass.className, stageClass);
    }
  }

  static fromContainer(container: Container): StageRegistry {
    const classes = container.isBound(STAGE_CLASS) ? container.getAll<StageClass>(STAGE_CLASS) : [];
    return new StageRegistry(classes);
  }

  get(name: string): StageClass | undefined {
    return this.byName.get(name);
  }

  /** Where a stage that is not loaded here runs, and why; undefined for loaded and unknown names. */
  elsewhereOf(name: string): StageElsewhere | undefined {
    return this.byName.has(name) ? undefined : this.elsewhere[name];
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): StageClass[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  /** The registered names closest to `name`, for "did you mean" hints. */
  closest(name: string, count = 3): string[] {
    return this.names()
      .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
      .filter((c) => c.distance <= Math.max(2, Math.floor(name.length / 3)))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, count)
      .map((c) => c.candidate);
  }
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}
