// Revision 2 of the canary example: the candidate.
export default {
  async fetch(request, env) {
    return new Response(`shop v2 (${env.COLOR}) with the new checkout\n`);
  },
};
