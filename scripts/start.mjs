// `npm start` (after `npm run build`): see main/launcher/start.ts.
import '../dist/main/launcher/start.js';
