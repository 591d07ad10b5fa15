// The bench apps written with the official @jambonz/sdk (0.10.1, from npm), the way its
// README and examples do it: createEndpoint on an http server, makeService({path}),
// session.on(<hook>, handler), verbs chained on the session (validated with AJV against
// @jambonz/schema, the SDK default), send() for the first answer, reply() for hooks.
// TTS tokens go through sendTtsTokens(), which keeps one command in flight and waits for
// stream_resumed after "full" (the SDK's backpressure). Installed by bench/run.py with
// `npm install --prefix bench/.node @jambonz/sdk@0.10.1`.
//
//     node bench/apps/node_app.mjs --port 3000
import http from 'node:http';
import { createEndpoint } from '@jambonz/sdk/websocket';

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const TOKENS = Array.from({ length: 20 }, (_, i) =>
  `Sentence ${String(i).padStart(2, '0')} of the answer, streamed to jambonz by the app.`.padEnd(60));

const silent = { info() {}, debug() {}, warn() {}, error() {}, child() { return silent; } };
const server = http.createServer();
const makeService = createEndpoint({ server, logger: silent });

const gather = (session, text) =>
  session.gather({ input: ['speech', 'digits'], actionHook: '/echo', timeout: 10, say: { text } });

makeService({ path: '/echo' }).on('session:new', (session) => {
  session
    .on('/echo', (evt) => {
      const heard = evt.speech?.alternatives?.[0]?.transcript || 'nothing';
      session.say({ text: `You said: ${heard}` });
      gather(session, 'Say something else.').reply();
    })
    .on('call:status', () => {})
    .on('error', () => {});
  gather(session, 'Say something and I will echo it.').send();
});

makeService({ path: '/tts' }).on('session:new', (session) => {
  session.on('error', () => {});
  session.say({ stream: true, closeStreamOnEmpty: false }).send();
  for (const token of TOKENS) session.sendTtsTokens(token).catch(() => {});
  session.flushTtsTokens();
});

server.listen(port, '127.0.0.1');
