// Shapes that know their area and perimeter.

function heron(a, b, c) {
  const s = (a + b + c) / 2
  return Math.sqrt(s * (s - a) * (s - b) * (s - c))
}

class Circle {
  constructor(radius) {
    this.radius = radius
  }

  area() {
    return Math.PI * this.radius ** 2
  }

  perimeter() {
    return 2 * Math.PI * this.radius
  }
}

class Square {
  constructor(side) {
    this.side = side
  }

  area() {
    return this.side * this.side
  }

  perimeter() {
    return 4 * this.side
  }
}

class Rectangle {
  constructor(width, height) {
    this.width = width
    this.height = height
  }

  area() {
    return this.width * this.height
  }

  perimeter() {
    return 2 * (this.width + this.height)
  }
}

class Triangle {
  constructor(a, b, c) {
    this.a = a
    this.b = b
    this.c = c
  }

  area() {
    return heron(this.a, this.b, this.c)
  }

  perimeter() {
    return this.a + this.b + this.c
  }
}

for (const shape of [new Circle(1), new Square(2), new Rectangle(2, 3), new Triangle(3, 4, 5)]) {
  console.log(shape.constructor.name, shape.area().toFixed(2), shape.perimeter().toFixed(2))
}
