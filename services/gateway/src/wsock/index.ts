/**
 * A minimal server-side WebSocket (RFC 6455) for the gateway, on the HTTP server's raw upgraded
 * sockets: handshake, framing, fragmentation, ping/pong, the close handshake. No extensions, no
 * subprotocols, no client side. Why not `ws`: see docs/gateway.md ("The WebSocket layer").
 * @module
 */
export * from './frame.js';
export * from './handshake.js';
export * from './socket.js';
export * from './server.js';
