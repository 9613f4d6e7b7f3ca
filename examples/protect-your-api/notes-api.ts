/**
 * Your API, protected by @countersign/server: every route needs a DPoP-bound token from your
 * authorization server, and deleting a note needs a human's approval of that exact deletion, once.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { createResourceServer, nodeMiddleware } from '@countersign/server';

export async function notesApi(options: { issuer: string; resource: string }): Promise<express.Express> {
  const notes = new Map([['n-1', 'Quarterly plan'], ['n-2', 'Old draft']]);

  // The protection: these lines, and one middleware per route.
  const rs = await createResourceServer({ issuer: options.issuer, resource: options.resource, nonce: { secret: randomBytes(32) } });
  const app = express();
  app.get('/.well-known/oauth-protected-resource', (_request, response) => void response.json(rs.metadata()));

  app.get('/notes', nodeMiddleware(rs, { scope: 'notes:read' }), (_request, response) => {
    response.json([...notes].map(([id, title]) => ({ id, title })));
  });

  app.post(
    '/notes/delete',
    express.json(),
    nodeMiddleware(rs, (request) => ({ scope: 'notes:delete', action: { tool: 'delete_note', args: (request as express.Request).body } })),
    (request, response) => {
      const deleted = notes.delete(request.body.id);
      response.status(deleted ? 200 : 404).json({ deleted, remaining: notes.size });
    },
  );
  return app;
}
