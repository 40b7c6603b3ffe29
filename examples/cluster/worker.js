// Says which revision answered: the split across the cluster is visible from outside.
export default {
  fetch(request, env) {
    return new Response(`${env.GREETING ?? 'hello'} from the cluster\n`);
  },
};
