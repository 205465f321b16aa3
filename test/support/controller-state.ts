import type { AppController } from '../../main/core/controller/app-controller.js';
import type { AppState } from '../../main/core/menu/types.js';

/** Resolves with the controller's state once it satisfies the predicate (at once if it already does). */
export function untilState(controller: AppController, predicate: (state: AppState) => boolean): Promise<AppState> {
  const current = controller.state();
  if (predicate(current)) return Promise.resolve(current);
  return new Promise((resolve) => {
    const listener = (state: AppState): void => {
      if (!predicate(state)) return;
      controller.off('state', listener);
      resolve(state);
    };
    controller.on('state', listener);
  });
}
