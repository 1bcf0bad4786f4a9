// Hash routes (#/queue?state=new): the server serves one page; the filters live in the address.
import { useEffect, useState } from '../vendor/htm-preact-standalone.js';

export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/queue';
  const [path, search = ''] = hash.split('?');
  return { path, params: new URLSearchParams(search) };
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function href(path, params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return `#${path}${text === '' ? '' : `?${text}`}`;
}
