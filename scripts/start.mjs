#!/usr/bin/env node
// Until the app lands (issue "The Grove app"), say what `npm start` will do.
console.log(
  "Grove: the app is not built yet. `npm start` will build the renderer, start an embedded relay on 127.0.0.1 and open Grove (Electron, or the web app in your browser). Today: `npm run relay` (the relay server), `npm test`, `npm run bench -- crypto relay`.",
);
