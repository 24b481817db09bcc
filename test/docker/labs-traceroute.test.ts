import { describeLabGrading } from '../helpers/grade-lab.js';

// traceroute: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('traceroute', {
  'max-ttl-too-small': ['path'],
  'counts-routers': ['hop-count'],
  'pings-instead': ['path', 'time-exceeded'],
});
