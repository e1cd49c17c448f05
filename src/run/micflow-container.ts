import { Container, type ContainerModule } from 'inversify';
import { builtInStagesModule } from '../stages/built-in-stages.js';
import { builtInBackendCandidates, type BackendCandidate } from '../runtime/backend-candidates.js';

/** DI token of the backend candidates the runtime chooses from (multi-binding). */
export const BACKEND_CANDIDATE = Symbol.for('micflow.BackendCandidate');

/**
 * The container every run resolves from: built-in stages and backend candidates, then the user's container modules,
 * which may add stages (bound to STAGE_CLASS) or backends (bound to BACKEND_CANDIDATE).
 */
export function createMicflowContainer(userModules: readonly ContainerModule[] = []): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(builtInStagesModule);
  for (const candidate of builtInBackendCandidates) container.bind<BackendCandidate>(BACKEND_CANDIDATE).toConstantValue(candidate);
  if (userModules.length) container.load(...userModules);
  return container;
}
