import { describeLabGrading } from '../helpers/grade-lab.js';

// ping-icmp: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('ping-icmp', {
  'notes-types': ['request-type', 'reply-type'],
  'default-size': ['size'],
  'never-stops': ['requests'],
});
