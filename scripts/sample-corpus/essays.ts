/** Short essays written by hand for this corpus. */

export const essays: Record<string, string> = {
  'essays/how-a-lighthouse-works.md': `# How a lighthouse works

A lighthouse has one job: to tell a sailor where the land is, and which piece of land it is.

The first part is easy to understand. A light on a tall tower can be seen a long way off, because the
curve of the earth hides low things first. A lamp at the height of a four-storey house can be seen
from about twenty kilometres away by someone on the deck of a small boat. Build the tower higher and
the light reaches further.

The second part is cleverer. On a dark coast there may be a dozen lights, and a sailor needs to know
which one is which. So every lighthouse has its own pattern: two short flashes every ten seconds, or a
long flash and a short one, or a steady light that goes dark for a moment. The patterns are printed
on the charts. A sailor counts the flashes, looks at the chart, and knows exactly where the boat is.

The lamp itself was never very large. What made it bright was the lens around it: rings of glass,
each one bending the light a little more, so that almost all of it left the tower in one flat beam.
The lens turned slowly on a bath of mercury, driven by a weight that the keeper wound up by hand
every few hours, all night, every night.

Most lighthouses today run by themselves. The lamps are electric and the lenses are smaller, and
ships carry receivers that know their position to a few metres. But the towers are still there,
still flashing their patterns, because a light on the shore is the one thing that works when
everything else has failed.
`,
  'essays/why-bread-rises.md': `# Why bread rises

Flour and water make a paste. Flour, water and yeast, left alone for an hour, make something that
breathes.

Yeast is alive. It is a fungus made of single cells, far too small to see, and a spoonful of dried
yeast holds billions of them, asleep. Warm water wakes them. They find the sugars in the flour and
eat them, and as they eat they give off two things: a little alcohol and a great deal of carbon
dioxide gas.

The gas would simply escape if the dough could not hold it. This is where kneading comes in. Wheat
flour contains two proteins that, when wet and worked, link together into long stretchy chains called
gluten. Ten minutes of kneading turns a shaggy lump into a smooth, elastic dough, and the gluten forms
a net of tiny balloons. Each bubble of gas from the yeast is caught in the net, and the dough swells.

In the oven, three things happen quickly. The heat makes the gas expand, so the loaf grows once more.
The yeast dies, and the alcohol boils away. Then the gluten and the starch set, like an egg setting
in a pan, and the shape of the bubbles is fixed. That is why a slice of bread is full of holes: each
hole is a breath the yeast took.

Rye flour makes little gluten, which is why rye bread is dense. Sourdough uses wild yeast and
bacteria instead of bought yeast, which is why it rises slowly and tastes sharp. But the idea is the
same in every loaf: something small and alive, and a net to catch what it breathes.
`,
  'essays/on-walking.md': `# On walking

Walking is the only way of travelling in which the speed of the body and the speed of the mind are
the same.

In a car, the land goes by too fast to think about. On a train you can think, but the land is behind
glass. On foot, everything arrives at the pace at which it can be noticed: the change in the sound of
the path when it turns from gravel to grass, the smell of a field after rain, the way a hill that
looked small from the valley takes an hour to climb.

A walk also has a shape. It begins with the stiffness of the first mile, when the legs are arguing
with the idea. Then comes the long middle, when walking becomes automatic and thoughts come loose and
wander. Near the end there is tiredness, and with it a kind of clarity, because there is no energy
left for worrying about anything except the next step and the thought of a meal.

People have always solved problems by walking. A question that will not come straight at a desk will
often come sideways on a path. Perhaps it is the rhythm, or the fresh air, or simply the fact that
there is nothing else to do. Whatever the reason, it is worth remembering the next time a problem
will not come straight: put on your shoes, and go and find it.
`,
  'essays/the-water-cycle.md': `# The water cycle

The water in a glass on your table is very old. Some of it may have fallen as rain on a forest a
thousand years ago, and some of it may have been part of a cloud over the ocean last month.

Water moves around the world in a great loop. The sun warms the surface of the sea, and some of the
water turns into vapour and rises into the air. As the warm, wet air rises, it cools, and the vapour
condenses into tiny droplets around specks of dust. Billions of droplets together make a cloud.

When the droplets in a cloud bump into each other and join, they grow heavy enough to fall as rain,
or, if the air is cold enough, as snow. Some of that water runs off the land into streams and rivers
and back to the sea. Some of it soaks into the ground and moves slowly through the rock for years
before it comes out again in a spring. Some of it is taken up by the roots of plants and breathed out
through their leaves.

Nothing is lost along the way. The same water goes round and round, carried by the sun's heat and
pulled down by gravity, and the loop never stops.
`,
  'essays/reading-a-map.md': `# Reading a map

A map is a drawing of the land as a bird would see it, made smaller by an exact amount.

That amount is the scale. On a map at one to twenty-five thousand, one centimetre on the paper is
two hundred and fifty metres on the ground, so four centimetres is a kilometre. A walker can measure
a route with a piece of string laid along the path and know how far it is before setting out.

Hills are harder to draw, because paper is flat. Most walking maps use contour lines: thin brown lines
that join points at the same height. Where the lines are far apart the ground is gentle; where they
crowd together it is steep; where they touch it is a cliff. With a little practice, the lines stop
looking like a fingerprint and start looking like the shape of the hills.

The last thing to learn is to turn the map so that it matches the land. Find something you can see,
a church tower or a lake or the line of a wall, find the same thing on the map, and turn the paper
until the two agree. Then everything in front of you is in front of you on the map too, and the way
ahead is easy to read.
`,
}

export const readme = `# CLLM Studio sample corpus

A few hundred kilobytes of plain English text, written for CLLM Studio so that the app has something
to train on out of the box: short stories, fables, letters, poems, notes in Markdown, short essays
and small programs in JavaScript and Python.

Most of it is generated from hand-written templates by
\`scripts/sample-corpus/generate.ts\` in the CLLM Studio repository, with a fixed seed, so the same
files come out every time. The repeated shapes (every story has a journey with three meetings, every
fable ends with a moral, every recipe has ingredients and numbered steps) are on purpose: they are
what a small model can visibly learn in a few minutes on a laptop. The essays, the code and the
sentence patterns themselves were written by hand for this corpus.

## Licence

CC0 1.0 Universal. To the extent possible under law, the authors of CLLM Studio have waived all
copyright and related or neighboring rights to this sample corpus. You may copy, modify and
redistribute it, for any purpose, without asking. See
https://creativecommons.org/publicdomain/zero/1.0/

None of the text is copied from other works. The fables retell plots in the manner of old public
domain fables; the proverbs used as morals are traditional sayings.
`
