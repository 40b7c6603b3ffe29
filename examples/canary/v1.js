// Revision 1 of the canary example: the stable version.
export default {
  async fetch(request, env) {
    return new Response(`shop v1 (${env.COLOR})\n`);
  },
};
