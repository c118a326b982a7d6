/** Letters between two friends, and rhymed poems built from hand-written lines. */
import { Random, wrap } from './random'

const writers = [
  { name: 'Clara', home: 'the city', street: 'the flat above the bakery', friend: 'Tom' },
  { name: 'Tom', home: 'the village', street: 'the cottage by the mill', friend: 'Clara' },
]

const news = {
  'the city': [
    'The trams have been on strike all week, so I walk to work along the river, which I do not mind at all.',
    'The bakery downstairs has started making rye bread, and the whole stairwell smells of caraway.',
    'I went to a concert in the old corn exchange. The roof leaks, but the sound is wonderful.',
    'They are digging up the square again. Nobody knows what they are looking for.',
    'I have joined a choir. We are terrible, and we practise on Thursdays.',
    'My window box has three tomatoes on it. I check them every morning like a farmer.',
    'I finished the book you lent me. I cried at the end and then was cross with myself.',
  ],
  'the village': [
    'The river came up over the lower field again, and the ducks think it is a holiday.',
    'Old Mrs Hale has taught me to make jam. The kitchen will never be clean again.',
    'The mill wheel is turning for the first time in twenty years; they are making flour for the fair.',
    'We had a storm that took half the apples off the trees. We will be eating apple pie until Easter.',
    'The school has a new teacher who plays the fiddle, and the children are learning jigs.',
    'I have started keeping bees. Two hives so far, and only one sting.',
    'The bus now comes twice a day instead of once, which everybody agrees is too many.',
  ],
} as const

const questions = [
  'How is your mother? Tell her I still have her recipe for ginger biscuits.',
  'Are you still getting up at six to write before work?',
  'Did you ever fix the bicycle, or is it still leaning against the wall?',
  'What are you reading now? I need something long for the winter.',
  'Have you been sleeping? Your last letter sounded tired.',
  'Is the old cat still sleeping in the fruit bowl?',
]

const plans = [
  'I will come in the spring, when the roads are dry. Keep a bed for me.',
  'Perhaps we can walk the ridge path again in the summer, the way we used to.',
  'I am saving for a train ticket. Three more months, I think.',
  'Write back soon. The post is slow, but it always arrives in the end.',
  'I will send you some seeds with the next letter.',
]

const weatherNotes = [
  'It has rained every day this week.',
  'The first frost came last night and everything is silver.',
  'It is so hot that the tar on the road is soft.',
  'The wind has not stopped for three days.',
  'Today is one of those clear blue days that make up for everything.',
]

export function generatedLetters(random: Random, count: number): Map<string, string> {
  const files = new Map<string, string>()
  for (let i = 0; i < count; i++) {
    const writer = writers[i % 2]
    const chosen = random.sample(news[writer.home as keyof typeof news], 3)
    const body = [
      `${random.pick(['Thank you for your letter.', 'Your letter came on Tuesday.', 'I am sorry it has taken me so long to write.', 'I read your letter twice, once fast and once slowly.'])} ${random.pick(weatherNotes)}`,
      chosen.join(' '),
      `${random.pick(questions)} ${random.pick(questions)}`,
      random.pick(plans),
    ].join('\n\n')
    const text = `Dear ${writer.friend},\n\n${wrap(body)}\n\n${random.pick(['With love', 'Yours as ever', 'Your friend', 'Until next time'])},\n${writer.name}\n${writer.street}\n`
    files.set(
      `letters/${String(i + 1).padStart(2, '0')}-from-${writer.name.toLowerCase()}.txt`,
      text,
    )
  }
  return files
}

/** Each set: lines that end on words that rhyme with each other. */
const rhymeSets: string[][] = [
  [
    'The window holds the last of the light',
    'The owls go hunting through the night',
    'The frost has turned the garden white',
    'A heron rises into flight',
    'The first star comes out small and bright',
  ],
  [
    'The river runs down to the sea',
    'The wind is loose and running free',
    'A blackbird sings in the apple tree',
    'The kettle sings a song for me',
    'The door is open, and so are we',
  ],
  [
    'The roofs are shining after rain',
    'A cart goes slowly down the lane',
    'The swallows have come home again',
    'The barley bends across the plain',
    'A child is drawing on the pane',
  ],
  [
    'The mill is resting on the hill',
    'The evening air is cold and still',
    'The water turns the silent mill',
    'The cat sits on the window sill',
    'The baker’s oven warms the hill',
  ],
  [
    'The fields are sleeping under snow',
    'The clocks in winter seem to slow',
    'The lamps are lit in the street below',
    'The oxen turn and homeward go',
    'And no one needs to rush or know',
  ],
  [
    'The boats come in at end of day',
    'The hills are wrapped in soft grey',
    'The children have been called from play',
    'The old road knows the only way',
    'The bread is warm; we ask you stay',
  ],
  [
    'The geese are calling in the sky',
    'The clouds go racing, long and high',
    'The years, like rivers, hurry by',
    'We watch the falling leaves and sigh',
    'The swifts are screaming as they fly',
  ],
  [
    'The wall is built of field and stone',
    'The shepherd walks the hills alone',
    'The seeds are sleeping, not yet grown',
    'The paths we walked are overgrown',
    'The letters come in hands long known',
  ],
]

const poemTitles = [
  'Evening',
  'Winter Song',
  'The Mill',
  'Harbour',
  'After Rain',
  'Going Home',
  'Autumn',
  'The Road',
  'Small Hours',
  'Spring Again',
  'The Garden',
  'Last Light',
]

export function generatedPoems(random: Random, count: number): Map<string, string> {
  const files = new Map<string, string>()
  for (let i = 0; i < count; i++) {
    const title =
      poemTitles[i % poemTitles.length] +
      (i >= poemTitles.length ? ` ${Math.floor(i / poemTitles.length) + 1}` : '')
    const stanzas: string[] = []
    const stanzaCount = random.int(3, 4)
    const sets = random.sample(rhymeSets, stanzaCount * 2) // no rhyme set twice in a poem
    for (let s = 0; s < stanzaCount; s++) {
      const [setA, setB] = [sets[2 * s], sets[2 * s + 1]]
      const [a1, a2] = random.sample(setA, 2)
      const [b1, b2] = random.sample(setB, 2)
      stanzas.push(`${a1},\n${b1};\n${a2},\n${b2}.`)
    }
    files.set(
      `poems/${String(i + 1).padStart(2, '0')}-${title.toLowerCase().replace(/ /g, '-')}.txt`,
      `${title}\n\n${stanzas.join('\n\n')}\n`,
    )
  }
  return files
}
