/** Loading what a view shows: its data, its error, a reload, and a refresh every `everyMs` while shown. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export function useLoad(load, deps, { onError, everyMs } = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const n = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (n === latest.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (n !== latest.current) return;
      setState((s) => ({ ...s, error, loading: false }));
      onError?.(error);
    }
  }, deps); // The caller names what the load depends on.
  useEffect(() => {
    void reload();
    if (!everyMs) return undefined;
    const timer = setInterval(() => void reload(), everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { ...state, reload };
}

/** An error box for a failed load or action, or nothing. */
export function errorText(error) {
  if (!error) return null;
  return error.code && error.code !== 'error' ? `${error.message} (${error.code})` : error.message;
}
