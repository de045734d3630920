"""Spanish names and places for the generated programmes (Mexico and Peru, where the programmes work)."""
from __future__ import annotations

import random
import unicodedata

FIRST_NAMES = [
    "María", "Guadalupe", "Juana", "Rosa", "Ana", "Elena", "Sofía", "Teresa", "Patricia", "Carmen", "Lucía",
    "Margarita", "Verónica", "Alejandra", "Isabel", "Leticia", "Gabriela", "Martha", "Adriana", "Claudia",
    "Yolanda", "Silvia", "Josefina", "Norma", "Esperanza", "Rocío", "Flor", "Micaela", "Dolores", "Catalina",
    "Juan", "José", "Pedro", "Miguel", "Carlos", "Jesús", "Luis", "Francisco", "Antonio", "Manuel", "Julio",
    "Alberto", "Fernando", "Ricardo", "Raúl", "Sergio", "Óscar", "Efraín", "Mateo", "Santiago",
]
SURNAMES = [
    "López", "Hernández", "Pérez", "Gómez", "Díaz", "Vázquez", "Ramírez", "Cruz", "Morales", "Jiménez", "Ruiz",
    "Méndez", "Aguilar", "Moreno", "Castillo", "Ortiz", "Domínguez", "Espinosa", "Sántiz", "Trujillo", "Velasco",
    "Gutiérrez", "Solís", "Robles", "Pineda", "Ríos", "Castañeda", "Quispe", "Mamani", "Huamán", "Condori",
    "Flores", "Rojas", "Chávez", "Torres", "Vargas", "Ramos", "Mendoza", "Salazar", "Cárdenas", "Gálvez",
    "Navarro", "Cabrera", "Paredes", "Vega", "Zúñiga", "Luna", "Ochoa", "Reyes", "Santos",
]
# (organisation name, country, regions its sites are in)
ORGANISATIONS = [
    ("Compañeros en Salud — Sierra", "MX", ["Ángel Albino Corzo", "La Concordia", "Montecristo de Guerrero"]),
    ("Socios En Salud — Lima Norte", "PE", ["Carabayllo", "Comas", "Independencia"]),
    ("Salud Comunitaria Frailesca", "MX", ["Villaflores", "Villacorzo", "Jaltenango"]),
    ("Socios En Salud — Lima Este", "PE", ["San Juan de Lurigancho", "Ate", "El Agustino"]),
    ("Red de Promotoras de Los Altos", "MX", ["San Cristóbal de las Casas", "Chamula", "Zinacantán"]),
    ("Acompañamiento Andino Cusco", "PE", ["Cusco", "Urubamba", "Calca"]),
    ("Programa Comunitario Costa de Chiapas", "MX", ["Tapachula", "Huixtla", "Mapastepec"]),
    ("Salud Mental Comunitaria Ayacucho", "PE", ["Huamanga", "Huanta", "La Mar"]),
    ("Compañeros en Salud — Fraylesca Norte", "MX", ["Capitán Luis Ángel Vidal", "Honduras", "Salvador Urbina"]),
    ("Red de Agentes Comunitarios Puno", "PE", ["Puno", "Juliaca", "Ilave"]),
    ("Promotores de Salud Oaxaca Sierra Sur", "MX", ["Miahuatlán", "San Pedro Pochutla", "Sola de Vega"]),
    ("Salud Comunitaria Cajamarca", "PE", ["Cajamarca", "Jaén", "Chota"]),
    ("Red de Cuidado Guerrero Montaña", "MX", ["Tlapa", "Metlatónoc", "Malinaltepec"]),
    ("Acompañamiento Comunitario Piura", "PE", ["Piura", "Sullana", "Chulucanas"]),
    ("Promotoras de Salud Huasteca", "MX", ["Tamazunchale", "Xilitla", "Aquismón"]),
    ("Salud Mental Comunitaria Loreto", "PE", ["Iquitos", "Nauta", "Yurimaguas"]),
    ("Red de Cuidado Michoacán Meseta", "MX", ["Paracho", "Cherán", "Nahuatzen"]),
    ("Agentes Comunitarios Huancavelica", "PE", ["Huancavelica", "Acobamba", "Lircay"]),
    ("Programa Comunitario Selva Lacandona", "MX", ["Ocosingo", "Benemérito", "Marqués de Comillas"]),
    ("Acompañamiento Comunitario Arequipa", "PE", ["Arequipa", "Camaná", "Chivay"]),
]
SITE_KINDS = ["Centro de Salud", "Clínica", "Puesto de Salud", "Casa de Salud", "Hospital Básico Comunitario"]
PLACES = [
    "Laguna del Cofre", "Reforma", "Salvador Urbina", "Plan de la Libertad", "Matasanos", "Monterrey", "Letrero",
    "El Recuerdo", "Nueva Palestina", "San Isidro", "Santa Rita", "La Esperanza", "El Porvenir", "Buenos Aires",
    "Los Ángeles", "San Antonio", "Villa Hermosa", "Nuevo Progreso", "Las Flores", "Santa Cruz", "El Paraíso",
    "La Libertad", "San Miguel", "Tres Picos", "Jerusalén", "Santa Elena", "La Primavera", "Bella Vista",
]
TRAINING_TOPICS = {
    "pm-plus": ["Habilidades básicas de ayuda y juegos de roles", "Manejo del estrés y manejo de problemas",
                "Activación conductual y apoyo social", "Mantenerse bien y cierre", "Plan de prácticas"],
    "pfa": ["Preparar, observar y escuchar", "Conectar y cuidarse", "Escenarios de práctica",
            "Ayuda responsable y derivación", "Repaso y evaluación"],
}
CASE_SUMMARIES = [
    "Problemas para dormir desde la pérdida de su trabajo. Practicó el manejo del estrés.",
    "Se siente sola; poca red de apoyo. Tareas de activación a medias.",
    "Apoyo después de un accidente en la carretera. Necesidades básicas cubiertas.",
    "Preocupación por deudas y por la salud de su madre. Eligió un problema para trabajar.",
    "Duelo reciente. Escuchamos y acordamos una visita de seguimiento.",
    "Conflictos con su pareja; sin violencia referida. Revisamos el plan de la semana.",
]
ACTION_TEXTS = [
    "Practicar la respiración lenta con dos clientes esta semana",
    "Enviar la lista de referencias actualizada al grupo",
    "Revisar el plan de seguridad con la persona en la próxima visita",
    "Repasar la lección de manejo de problemas antes de la sesión",
    "Llamar a la clínica para confirmar la cita de la derivación",
]
SESSION_NOTES = [
    "Revisamos casos y el autocuidado del equipo.",
    "Practicamos la escucha activa en parejas; buen trabajo del grupo.",
    "Hablamos de las visitas domiciliarias y de cómo cerrar las sesiones.",
]


def ascii_slug(text: str) -> str:
    """"Sántiz López" -> "santiz-lopez"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def person_name(rng: random.Random) -> tuple[str, str]:
    """A full name (first name and two surnames) and the stem of a username."""
    first, one, two = rng.choice(FIRST_NAMES), rng.choice(SURNAMES), rng.choice(SURNAMES)
    return f"{first} {one} {two}", f"{ascii_slug(first)}.{ascii_slug(one)}"
