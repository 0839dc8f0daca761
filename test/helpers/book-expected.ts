/**
 * What the seed review says, written out by hand as the oracle for the book tests (unit and end to end).
 * Chapter numbers follow the order in which the review presents the chapters.
 */
export const EXPECTED_PARTS = [
  { number: 1, roman: 'I', names: ['Beyond Boundaries', 'Beyond Binaries'], chapters: [1, 2, 3], word: 'binaries' },
  { number: 2, roman: 'II', names: ['Techniques: Holding On and Letting Go'], chapters: [4, 5, 6], word: 'techniques' },
  { number: 3, roman: 'III', names: ['Enactments: When Biographies and Self-States Converge'], chapters: [7, 8, 9], word: 'enactments' },
  { number: 4, roman: 'IV', names: ['Affects on the Edge'], chapters: [10, 11], word: 'affects' },
  { number: 5, roman: 'V', names: ['Broader Perspectives'], chapters: [12, 13, 14, 15], word: 'broader' },
] as const;

export const EXPECTED_CHAPTERS = [
  { number: 1, contributors: ['Doris Brothers'], part: 1, pages: [], about: 'polarity of success and failure', search: 'brothers' },
  { number: 2, contributors: ['Jessica Benjamin'], part: 1, pages: [], about: 'withstand badness', search: 'benjamin' },
  { number: 3, contributors: ['Elad Hadad'], part: 1, pages: [], about: 'cultural indoctrination', search: 'hadad' },
  { number: 4, contributors: ['Stuart Pizer'], part: 2, pages: [], about: 'foreseeing the end of a technique', search: 'stuart' },
  { number: 5, contributors: ['Matthias Wenke'], part: 2, pages: ['p. 35'], about: 'collusive enactment', search: 'wenke' },
  { number: 6, contributors: ['Shinar Pinkas'], part: 2, pages: [], about: 'as a client', search: 'pinkas' },
  { number: 7, contributors: ['Sharon Ziv Beiman'], part: 3, pages: [], about: '“illegitimate” self-states', search: 'ziv beiman' },
  { number: 8, contributors: ['Shai Epstein'], part: 3, pages: ['pp. 67-68'], about: 'parental neglect, terror and shame', search: 'epstein' },
  { number: 9, contributors: ['Offer Maurer'], part: 3, pages: [], about: 'bullying and abusive cycles', search: 'maurer' },
  { number: 10, contributors: ['Muriel Dimen', 'Asaf Rolef Ben-Shahar'], part: 4, pages: [], about: '“too frightening to bear”', search: 'dimen' },
  { number: 11, contributors: ['Barbara Pizer'], part: 4, pages: [], about: 'rage and anger were not expressed', search: 'barbara' },
  { number: 12, contributors: ['Joseph Schwartz'], part: 5, pages: [], about: 'his working life', search: 'schwartz' },
  { number: 13, contributors: ['Nancy Eichhorn'], part: 5, pages: [], about: 'accountability and fears of litigation', search: 'eichhorn' },
  { number: 14, contributors: ['Julianne Appel-Opper'], part: 5, pages: [], about: 'intercultural perspectives', search: 'appel opper' },
  { number: 15, contributors: ['Asaf Rolef Ben-Shahar'], part: 5, pages: ['p. 121'], about: 'characterological potential', search: 'characterological' },
] as const;

export const EXPECTED_PEOPLE = [
  { name: 'Asaf Rolef Ben-Shahar', roles: ['editor', 'contributor'], chapters: [10, 15], bio: 'relational psychotherapist from Israel', search: 'asaf' },
  { name: 'Rachel Shalit', roles: ['editor'], chapters: [], bio: 'integrative and body-oriented psychotherapist', search: 'shalit' },
  { name: 'Andrew Samuels', roles: ['foreword'], chapters: [], bio: null, search: 'samuels' },
  { name: 'Nancy Eichhorn', roles: ['reviewer', 'contributor'], chapters: [13], bio: null, search: 'nancy' },
  { name: 'Doris Brothers', roles: ['contributor'], chapters: [1], bio: null, search: 'doris' },
  { name: 'Jessica Benjamin', roles: ['contributor'], chapters: [2], bio: null, search: 'jessica' },
  { name: 'Elad Hadad', roles: ['contributor'], chapters: [3], bio: null, search: 'elad' },
  { name: 'Stuart Pizer', roles: ['contributor'], chapters: [4], bio: null, search: 'stuart' },
  { name: 'Matthias Wenke', roles: ['contributor'], chapters: [5], bio: null, search: 'wenke' },
  { name: 'Shinar Pinkas', roles: ['contributor'], chapters: [6], bio: null, search: 'shinar' },
  { name: 'Sharon Ziv Beiman', roles: ['contributor'], chapters: [7], bio: null, search: 'ziv' },
  { name: 'Shai Epstein', roles: ['contributor'], chapters: [8], bio: null, search: 'shai' },
  { name: 'Offer Maurer', roles: ['contributor'], chapters: [9], bio: null, search: 'offer' },
  { name: 'Muriel Dimen', roles: ['contributor'], chapters: [10], bio: null, search: 'muriel' },
  { name: 'Barbara Pizer', roles: ['contributor'], chapters: [11], bio: null, search: 'barbara' },
  { name: 'Joseph Schwartz', roles: ['contributor'], chapters: [12], bio: null, search: 'joseph' },
  { name: 'Julianne Appel-Opper', roles: ['contributor'], chapters: [14], bio: null, search: 'julianne' },
] as const;
