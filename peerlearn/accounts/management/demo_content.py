"""What the demo people are made of: names, programmes, bio templates and the like.

Bio templates are ``str.format`` strings; ``demo_plans`` supplies the values.
"""

from __future__ import annotations

from datetime import time

NAMES = [  # (display name, home language)
    ("Lena Fischer", "de"), ("Jonas Weber", "de"), ("Mia Schneider", "de"), ("Felix Braun", "de"),
    ("Hannah Becker", "de"), ("Amélie Laurent", "fr"), ("Hugo Moreau", "fr"),
    ("Chloé Gagnon", "fr"), ("Noah Tremblay", "fr"), ("Inès Benali", "fr"),
    ("Lucía Fernández", "es"), ("Mateo García", "es"), ("Valentina Cruz", "es"),
    ("Tomás Herrera", "es"), ("Camila Souza", "pt"), ("Rafael Oliveira", "pt"),
    ("Beatriz Costa", "pt"), ("Mateus Almeida", "pt"), ("Aarav Mehta", "hi"),
    ("Rohan Kapoor", "hi"), ("Ananya Iyer", "en"), ("Kavya Reddy", "en"), ("Wei Zhang", "zh"),
    ("Chen Jing", "zh"), ("Haoran Liu", "zh"), ("Marcus Tan", "zh"), ("Yuki Tanaka", "ja"),
    ("Haruto Sato", "ja"), ("Ji-woo Park", "ko"), ("Min-jun Kim", "ko"), ("Thandiwe Nkosi", "en"),
    ("Sipho Dlamini", "en"), ("Zanele Khumalo", "en"), ("Amara Okafor", "en"), ("Chidi Eze", "en"),
    ("Kwame Mensah", "en"), ("Fatima Al-Sayed", "ar"), ("Omar Haddad", "ar"),
    ("Layla Nasser", "ar"), ("Mehmet Yılmaz", "tr"), ("Elif Demir", "tr"),
    ("Dmitri Volkov", "ru"), ("Olena Kovalenko", "uk"), ("Katarzyna Nowak", "pl"),
    ("Piotr Zieliński", "pl"), ("Sanne de Vries", "nl"), ("Thomas Peeters", "nl"),
    ("Lotte Janssens", "nl"), ("Oliver Hughes", "en"), ("Isla MacLeod", "en"),
    ("Callum Fraser", "en"), ("Siobhan Kelly", "en"), ("Ethan Nguyen", "vi"), ("Linh Tran", "vi"),
    ("Maya Cohen", "he"), ("Sara Rossi", "it"), ("Marco Bianchi", "it"), ("Giulia Ricci", "it"),
    ("Nikos Papadopoulos", "el"), ("Eleni Georgiou", "el"), ("Aino Virtanen", "fi"),
    ("Erik Lindqvist", "sv"), ("Dewi Santoso", "id"), ("Amani Mwangi", "sw"),
    ("Baraka Otieno", "sw"), ("Parisa Karimi", "fa"), ("Nusrat Rahman", "bn"),
    ("Tanvir Hossain", "bn"), ("Jordan Williams", "en"), ("Aaliyah Johnson", "en"),
]  # fmt: skip
AREA_WEIGHTS = {
    "Computing": 34,
    "Mathematics": 20,
    "Natural sciences": 12,
    "Engineering": 10,
    "Languages": 12,
    "Humanities and social sciences": 12,
}
INSTITUTION_WEIGHTS = {"tum": 4, "edinburgh": 3, "toronto": 3}  # others 1: some people are near
LANGUAGE_SUBJECTS = {
    "en": "English for academic purposes", "de": "German", "es": "Spanish", "fr": "French",
    "zh": "Mandarin Chinese", "ja": "Japanese", "it": "Italian", "pt": "Portuguese", "ar": "Arabic",
}  # fmt: skip
PROGRAMMES = {  # by catalogue subject, else by area
    "Computing": ("BSc Computer Science", "BSc Informatics", "MSc Data Science",
                  "MEng Software Engineering", "MSc Artificial Intelligence"),
    "Mathematics": ("BSc Mathematics", "BSc Mathematics and Statistics", "MSc Applied Mathematics"),
    "Languages": ("BA Modern Languages", "BA Linguistics", "MA Translation Studies"),
    "Physics": ("BSc Physics", "MSc Physics"), "Chemistry": ("BSc Chemistry",),
    "Biology": ("BSc Biological Sciences", "MSc Molecular Biology"),
    "Earth and environmental science": ("BSc Environmental Science",),
    "Astronomy": ("BSc Physics with Astronomy",),
    "Electrical engineering": ("BEng Electrical and Electronic Engineering",),
    "Mechanical engineering": ("BEng Mechanical Engineering",),
    "Civil engineering": ("BEng Civil Engineering",),
    "Chemical engineering": ("MEng Chemical Engineering",), "History": ("BA History",),
    "Philosophy": ("BA Philosophy", "BA Philosophy, Politics and Economics"),
    "Economics": ("BSc Economics",), "Psychology": ("BSc Psychology",),
    "Political science": ("BA Politics and International Relations",),
    "Sociology": ("BA Sociology",),
    "Law": ("LLB Law",), "Business and finance": ("BSc Business Administration",),
}  # fmt: skip
# The department a PhD student or lecturer belongs to; other areas use the subject's name.
AREA_FIELDS = {
    "Computing": "Computer Science",
    "Mathematics": "Mathematics",
    "Languages": "Linguistics",
}
RESEARCH = {
    "Computing": ("graph algorithms for route planning", "privacy-preserving machine learning",
                  "query optimisation in distributed databases", "program verification"),
    "Mathematics": ("random matrix theory", "numerical methods for fluid flow",
                    "stochastic models of epidemics"),
    "Natural sciences": ("protein folding", "exoplanet atmospheres", "soil microbiomes",
                         "battery electrolytes"),
    "Engineering": ("power electronics for wind turbines", "earthquake-resistant timber structures",
                    "soft robotics"),
    "Languages": ("second-language acquisition", "code-switching in bilingual families"),
    "Humanities and social sciences": ("labour markets and automation", "moral psychology",
                                       "the history of medicine in the nineteenth century"),
}  # fmt: skip
JOBS = ("logistics", "retail banking", "a hospital lab", "a web agency", "hospitality", "sales")
HOMETOWNS = {
    "en": ("Manchester", "Auckland", "Chicago", "Cork"), "de": ("Hamburg", "Cologne", "Leipzig"),
    "es": ("Seville", "Valencia", "Bogotá", "Mexico City"), "fr": ("Lyon", "Montréal", "Bordeaux"),
    "zh": ("Chengdu", "Hangzhou", "Taipei"), "ja": ("Osaka", "Sapporo"), "it": ("Bologna", "Turin"),
    "pt": ("Porto", "Recife", "Curitiba"), "ar": ("Amman", "Casablanca", "Beirut"),
}  # fmt: skip
GRADES = {
    "Germany": ("Grade 1.0", "Grade 1.3", "Grade 1.7"), "Switzerland": ("Grade 5.5", "Grade 6.0"),
    "United Kingdom": ("First (78%)", "First (82%)"), "France": ("16/20", "18/20"),
    "Spain": ("Sobresaliente (9.2)", "Matrícula de honor"), "Belgium": ("16/20", "17/20"),
    "Canada": ("A", "A+"), "United States": ("A", "A+"), "Brazil": ("9.5/10", "10/10"),
    "South Africa": ("First class (81%)", "First class (86%)"), "India": ("AA", "AP"),
    "Singapore": ("A", "A+"), "Australia": ("H1 (85)", "H1 (91)"),
}  # fmt: skip
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
PROPER_WORDS = {
    "Arabic", "Bayesian", "Chinese", "Django", "English", "French", "Galois", "German", "Git",
    "Italian", "Japanese", "Java", "JavaScript", "Laplace", "Linux", "Mandarin", "Markov", "Modern",
    "Node.js", "Portuguese", "Python", "React", "Riemann", "Spanish", "Turing",
}  # fmt: skip

STUDENT_BIOS = (
    "{Year}-year {programme} student at {institution}. I got through {subject} by drawing "
    "everything, so that's how I explain it too. Happy to go over {topic} or {topic2}, or to work "
    "through past papers with you.",
    "I'm in my {year} year of {programme} and tutor {subject} on the side. Most sessions end up "
    "being about {topic}: bring the exercise you're stuck on and we'll untangle it together.",
    "{programme}, year {n}. I was a peer mentor for first-years last term and loved it. Strongest "
    "in {topic} and {topic2}; patient with questions that feel basic, because they usually aren't.",
    "Hi! I study {programme} at {institution}. I like explaining {subject} with small concrete "
    "examples before the general idea. Evenings and weekends suit me best.",
    "Studying {programme} in {city}. Top marks in {subject} last year, and I still have my "
    "annotated notes on {topic}. I prefer short, focused sessions with a clear goal.",
)
PHD_BIOS = (
    "PhD candidate at {institution}, working on {research}. I've been a teaching assistant for "
    "{subject} for three semesters, so I know where people usually get stuck with {topic}.",
    "Doctoral researcher in {field}. I run the weekly {subject} tutorials and enjoy one-to-one "
    "sessions even more: we go at your pace and spend the time on {topic} or whatever you need.",
    "{Year}-year PhD student and TA at {institution}. Before the PhD I spent two years working in "
    "{job}, so I like connecting {subject} to real problems. Ask me about {topic} or {topic2}.",
)
STAFF_BIOS = (
    "{programme} at {institution}. I teach {subject} to large first-year classes and keep a few "
    "slots here because small-group teaching is where the real learning happens.",
    "{programme} at {institution}. Office hours never feel long enough, so I offer some extra "
    "hours a week here. Particularly happy to help with {topic} and {topic2}.",
)
LANGUAGE_TUTOR_BIOS = (
    "Native {language} speaker from {hometown}, studying {programme} at {institution}. I help "
    "with everything from first words to exam preparation, and I'm happy to just chat if "
    "speaking is what you need.",
    "I grew up speaking {language} at home and have run the {language} table at our language "
    "café for two years. Grammar questions welcome: I actually enjoy them.",
)
LANGUAGE_STAFF_BIO = (
    "{language} instructor at {institution}'s language centre. Outside class I offer "
    "conversation and exam-preparation slots for anyone getting ready for a year abroad."
)
LEARNER_BIOS = (
    "{Year}-year {programme} student at {institution}. {Topic} keeps me up at night; looking for "
    "someone patient to work through problem sheets with.",
    "{Year}-year {programme}. I follow the lectures but freeze on exam questions about {topic}. "
    "I'd love a study partner or a tutor for the weeks before exams.",
    "Studying {programme}. I learn best by doing, so I'd rather work through examples of {topic} "
    "than re-read the slides.",
    "Back at university after four years working in {job}. Rusty on {topic} and {topic2}; happy "
    "to return the favour with anything I know.",
    "{programme} student in {city}. I want to get properly good at {topic} before applying for "
    "internships next summer. Weekday evenings work best.",
    "Part-time {programme} student with a job and two kids, so short, well-planned sessions suit "
    "me best. Currently fighting with {topic}.",
    "I'm taking {subject} as an elective alongside my main degree and need help bridging the "
    "gaps, especially {topic}.",
)
LANGUAGE_LEARNER_BIOS = (
    "{Year}-year {programme} student at {institution}. I'm learning {subject} and need someone "
    "to talk to: I read fine but freeze when I have to speak.",
    "Preparing for a semester abroad next year, so my {subject} has to go from survival level to "
    "lecture-ready. Conversation practice please!",
    "Exchange student in {city}, trying to get my {subject} good enough to follow seminars. "
    "Happy to help with {language} in return.",
)
MODERATOR_BIO = (
    "{programme} at {institution} and one of PeerLearn's moderators: I check tutors' evidence so "
    "learners can trust the verified mark. I usually decide within a day."
)
DAY_PARTS = {
    "morning": ((8, 0, 10, 0), (9, 0, 11, 0), (9, 0, 12, 0), (10, 0, 12, 0)),
    "afternoon": ((13, 0, 15, 0), (14, 0, 16, 0), (14, 0, 17, 30), (15, 30, 17, 30)),
    "evening": ((18, 0, 20, 0), (18, 30, 21, 0), (19, 0, 21, 0), (20, 0, 22, 0)),
}
EXCEPTIONS = (  # (kind, start, end, note)
    ("unavailable", None, None, "Conference trip"),
    ("unavailable", None, None, "Exam day"),
    ("unavailable", None, None, "Family visit"),
    ("unavailable", None, None, "Field trip"),
    ("unavailable", time(14), time(17), "Dentist appointment"),
    ("unavailable", time(9), time(12), "Lab session moved"),
    ("available", time(10), time(13), "Extra hours before the midterm"),
    ("available", time(16), time(19), "Revision drop-in"),
)
AVATAR_COLOURS = ("#2563eb", "#7c3aed", "#db2777", "#ea580c", "#16a34a", "#0891b2", "#4f46e5")
