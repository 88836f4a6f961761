import { render } from 'preact';
import { App } from './app';
import { parseRoute } from './route';
import { applyTheme, getKey } from './settings';
import { prefetchText } from './transcript-page';
import './styles.css';

applyTheme();
// A transcript opened by its link: its text is on the way while the console renders.
const route = parseRoute(location.hash);
if (route.name === 'transcript' && getKey()) prefetchText(route.id);
render(<App />, document.getElementById('app')!);
