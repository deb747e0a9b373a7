/**
 * A TCP relay that does nothing else: every connection to it is piped both ways to 127.0.0.1:<port
 * given as the first argument>. Two of them in a row stand where the portal and the bridge stand
 * in the bench, to show what Node's sockets alone cost on this machine (bench/floor.js).
 */
import net from 'node:net';

const target = Number(process.argv[2]);
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const onward = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
  socket.pipe(onward);
  onward.pipe(socket);
  socket.on('error', () => onward.destroy());
  onward.on('error', () => socket.destroy());
});
server.maxConnections = 100_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
