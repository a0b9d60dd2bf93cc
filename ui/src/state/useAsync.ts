import { type DependencyList, useEffect, useState } from 'react';

import { ApiError } from '../api';

export type AsyncState<T> = { status: 'loading' } | { status: 'ok'; value: T } | { status: 'error'; error: ApiError };

/**
 * Runs `load` when `deps` change and ignores results that arrive after a newer run started.
 * Key the component by the thing being loaded so each starts in 'loading'.
 */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  useEffect(() => {
    let alive = true;
    load().then(
      (value) => alive && setState({ status: 'ok', value }),
      (err: unknown) => alive && setState({ status: 'error', error: ApiError.from(err) }),
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what `load` depends on
  }, deps);
  return state;
}
